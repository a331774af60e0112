// Database growth: each member's file size and size in use over the last
// hours as a chart, compactions and defragmentations marked, the quota as a
// line, and one sentence: how fast the largest member grows and when, at
// that rate, it reaches the quota. Fed the cluster status the Cluster tab
// reads on its interval (no request of its own).
#pragma once

#include "admin/admin_types.h"
#include "insight/db_growth.h"

#include <QWidget>

#include <functional>
#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QDateTimeAxis;
class QLabel;
class QLineSeries;
class QScatterSeries;
class QSpinBox;
class QValueAxis;
QT_END_NAMESPACE

namespace etcdscope::ui {

class DbGrowthView : public QWidget {
    Q_OBJECT

public:
    static constexpr int kDefaultQuotaMiB = 2048;  // etcd's default --quota-backend-bytes

    explicit DbGrowthView(QWidget* parent = nullptr);

    // One status of the cluster, read at atMs.
    void addStatus(const ClusterStatus& status, qint64 atMs);
    void clear();
    void setQuotaBytes(qint64 bytes);
    qint64 quotaBytes() const;

    const DbGrowth& growth() const { return growth_; }
    QString statusText() const;
    // For tests: the charted lines' names after the last redraw.
    QStringList chartedNames() const;

protected:
    void changeEvent(QEvent* event) override;  // a palette change re-themes the chart

private:
    void redraw();

    DbGrowth growth_;
    QSpinBox* quotaSpin_ = nullptr;
    QLabel* status_ = nullptr;
    QChart* chart_ = nullptr;
    QDateTimeAxis* timeAxis_ = nullptr;
    QValueAxis* bytesAxis_ = nullptr;
    std::vector<QLineSeries*> lines_;  // per member: file, in use
    QLineSeries* quotaLine_ = nullptr;
    QScatterSeries* compactions_ = nullptr;
    QScatterSeries* defragmentations_ = nullptr;
};

// "3 h 20 min", "2 d 4 h", "45 s".
QString roughDuration(qint64 ms);

}  // namespace etcdscope::ui
