// The Insight tab: what fills etcd, and who is writing. The census of a
// prefix (or the whole key space) as bars, largest group first — keys,
// bytes, share and largest key per group, Kubernetes resources and
// namespaces named — drilled into with a double click and back with Up,
// exported as CSV. The census runs on a pooled thread with a connection of
// its own; the tab shows its progress a few times a second and can cancel
// it, and never waits on etcd. Below it the churn (ChurnView), fed by the
// monitor's watches, the database growth (DbGrowthView), fed by the
// Cluster tab's status reads, and the watch health (WatchHealthView) from
// the members' /metrics.
#pragma once

#include "insight/census.h"
#include "transport/connection_options.h"

#include <QFutureWatcher>
#include <QTimer>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;

namespace etcdscope::ui {

class CensusModel;
class ChurnView;
class DbGrowthView;
class WatchHealthView;

class InsightView : public QWidget {
    Q_OBJECT

public:
    explicit InsightView(QWidget* parent = nullptr);
    ~InsightView() override;

    // The cluster counted (nullopt: not connected).
    void setCluster(std::optional<ConnectionOptions> options, const QString& name);

    // Counts `prefix` ("" the whole key space) at `depth` (0: one level
    // below the prefix) and `revision` (0: now); censusFinished follows.
    void runCensus(const QByteArray& prefix, int depth = 0, qint64 revision = 0);
    void cancelCensus();
    // Into the group of a row (a double click), or up one level.
    void drillInto(int row);
    void goUp();
    // The shown census as CSV: prefix,keys,bytes,largest_key,largest_bytes.
    bool exportCsv(const QString& path, QString* error) const;

    CensusModel* model() const { return model_; }
    ChurnView* churn() const { return churn_; }
    DbGrowthView* growth() const { return growth_; }
    WatchHealthView* health() const { return health_; }
    QString statusText() const;
    QByteArray prefix() const { return prefix_; }

signals:
    // A census ended: complete, or partial (cancelled or failed; the status says why).
    void censusFinished(bool complete);

private:
    struct Progress {
        std::atomic<qint64> done{0};
        std::atomic<qint64> total{0};
        std::atomic<bool> cancelled{false};
    };
    void showResult();
    void showProgress();

    std::optional<ConnectionOptions> cluster_;
    QString clusterName_;
    QByteArray prefix_;
    int depth_ = 0;
    QLineEdit* prefixEdit_ = nullptr;
    QSpinBox* depthSpin_ = nullptr;
    QLineEdit* revisionEdit_ = nullptr;
    QPushButton* countButton_ = nullptr;
    QPushButton* upButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QPushButton* exportButton_ = nullptr;
    QProgressBar* progressBar_ = nullptr;
    QLabel* status_ = nullptr;
    QTableView* view_ = nullptr;
    CensusModel* model_ = nullptr;
    ChurnView* churn_ = nullptr;
    DbGrowthView* growth_ = nullptr;
    WatchHealthView* health_ = nullptr;
    std::shared_ptr<Progress> progress_;
    QFutureWatcher<CensusResult> watcher_;
    QTimer progressTimer_;
};

}  // namespace etcdscope::ui
