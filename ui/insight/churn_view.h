// Who is writing: the churn of the last minute or hour per group of keys —
// per Kubernetes resource, per resource and namespace, or per key prefix —
// counted from what the monitor's watches deliver. The busiest groups drawn
// as lines of events per second, every group in a table (events/s as a
// bar, bytes/s, revisions/s, deletes). Fed on the GUI thread from the
// session's batches (each event is a lookup and an addition); repainted once
// a second.
#pragma once

#include "engine/engine_types.h"
#include "insight/churn.h"
#include "session/watch_session.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QTimer>
#include <QWidget>

#include <functional>
#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QComboBox;
class QLabel;
class QLineSeries;
class QSpinBox;
class QTableView;
class QValueAxis;
QT_END_NAMESPACE

namespace etcdscope::ui {

class ChurnModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { GroupColumn, EventsRateColumn, BytesRateColumn, RevisionsRateColumn, EventsColumn, DeletesColumn,
                  ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    // The groups of a window, most events first, over `seconds` of it.
    void setChurn(std::vector<ChurnGroup> groups, double seconds);
    const std::vector<ChurnGroup>& groups() const { return groups_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<ChurnGroup> groups_;
    double seconds_ = 1;
    qint64 mostEvents_ = 0;
};

class ChurnView : public QWidget {
    Q_OBJECT

public:
    static constexpr int kRefreshMs = 1000;
    static constexpr int kChartedGroups = 5;
    using Clock = std::function<qint64()>;

    explicit ChurnView(QWidget* parent = nullptr);

    // What the watches delivered, received at atMs. Events a watch replays
    // from history (at or below the store's revision when a watch asked for
    // an older start was created) are not churn and are left out.
    void addBatch(const UpdateBatch& batch, qint64 atMs);
    // How many watches feed it, for the sentence under the chart.
    void setWatchCount(int watches);
    // Another cluster: what was counted is dropped.
    void clear();

    void setGrouping(ChurnGrouping grouping, int depth);
    void setWindow(ChurnTally::Window window);
    // Defaults to the wall clock; tests pass their own.
    void setClock(Clock nowMs) { clock_ = std::move(nowMs); }

    // What the timer does; public for tests.
    void refresh();

    const ChurnTally& tally() const { return tally_; }
    ChurnModel* model() const { return model_; }
    QString statusText() const;
    // For tests: the charted lines (name, points) after the last refresh.
    std::vector<std::pair<QString, QList<QPointF>>> chartedLines() const;

signals:
    // "Watch the whole key space" was clicked.
    void watchEverythingRequested();

protected:
    void changeEvent(QEvent* event) override;  // a palette change re-themes the chart

private:
    qint64 now() const;

    ChurnTally tally_;
    ChurnTally::Window window_ = ChurnTally::Window::Minute;
    // Per watch: revisions at or below this are its replay of history.
    QHash<WatchHandle, qint64> replayUpTo_;
    int watchCount_ = 0;
    Clock clock_;
    QComboBox* groupingCombo_ = nullptr;
    QSpinBox* depthSpin_ = nullptr;
    QComboBox* windowCombo_ = nullptr;
    QLabel* status_ = nullptr;
    QChart* chart_ = nullptr;
    QValueAxis* xAxis_ = nullptr;
    QValueAxis* yAxis_ = nullptr;
    std::vector<QLineSeries*> lines_;
    QTableView* table_ = nullptr;
    ChurnModel* model_ = nullptr;
    QTimer timer_;
};

}  // namespace etcdscope::ui
