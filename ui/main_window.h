// The monitor's main window: connection bar, watch tree, event timeline
// with detail pane, revision chart, status bar. Wires the session (network,
// worker thread) and the store (disk, its own thread) to the models; the GUI
// thread only ever handles batches and never waits on either.
#pragma once

#include "event_record.h"
#include "kv_client.h"
#include "store_worker.h"
#include "watch_session.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMainWindow>
#include <QSet>
#include <QTimer>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSplitter;
class QTabWidget;
class QStackedWidget;
class QSystemTrayIcon;
class QTableView;
class QThread;
class QTreeView;

namespace etcdscope {
class Mailbox;
}

namespace etcdscope::ui {

class ClusterView;
class DetailPane;
class KeyBrowser;
class LeasesView;
class EventTimelineModel;
class RevisionChart;
class RevisionGroupModel;
class TimelineFilterProxy;
class WatchTreeModel;

struct MainWindowOptions {
    QString endpoints;          // "host:port,..."; empty: the remembered ones
    QString dataDirectory;      // where the event log lives; empty: the user's data dir
    bool demoWatches = false;   // add the demo's watches when none are remembered
    bool connectAtStart = true;
};

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(MainWindowOptions options, QWidget* parent = nullptr);
    ~MainWindow() override;

    // For tests and screenshots.
    WatchTreeModel* treeModel() const { return treeModel_; }
    EventTimelineModel* timelineModel() const { return timelineModel_; }
    RevisionChart* chart() const { return chart_; }
    KeyBrowser* keyBrowser() const { return keyBrowser_; }
    ClusterView* clusterView() const { return clusterView_; }
    // Shows the watches (0), the key browser (1), the cluster (2) or the leases (3).
    void showTab(int tab);
    qint64 eventsRecorded() const { return eventsRecorded_; }
    // Adds a watch as the dialog would; returns its handle.
    WatchHandle addWatch(const WatchSpec& spec, bool notify = false);
    void connectToCluster(const QString& endpoints);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildActions();
    void buildLayout();
    void buildStatusBar();
    void startStore();
    void restoreWatches(bool ok, const QString& error, const std::vector<WatchDefinition>& watches);
    WatchHandle startWatch(WatchDefinition definition, bool persist);
    void onUpdates(const UpdateBatchPtr& batch);
    void onStatus(const ConnectionStatus& status);
    void onError(const QString& sentence);
    void onAppended(qint64 eventCount);
    void onAppendFailed(const QString& error, qint64 eventCount);
    void showAddWatchDialog(const QByteArray& key = {}, int mode = 0);
    void cancelSelectedWatch();
    void exportEvents();
    void openLog();
    void updateEventRate();
    void updateFilter();
    void showSelectedEvent();
    void showEventAt(const QModelIndex& filteredIndex);
    void notifyIfWanted(const std::vector<EventRecord>& records);
    std::optional<WatchHandle> selectedWatch() const;
    QString watchLabel(WatchHandle watch) const;
    void toggleConnection();
    void showConnectionDialog();
    void connectWith(const ConnectionOptions& options, const QString& endpoints, bool afresh = false);
    void saveLayout() const;
    void restoreLayout();

    MainWindowOptions options_;
    WatchSession* session_;
    KvClient* kvClient_;
    QThread* storeThread_;
    StoreWorker* store_;
    bool storeReady_ = false;

    WatchTreeModel* treeModel_;
    EventTimelineModel* timelineModel_;
    TimelineFilterProxy* filterProxy_;
    RevisionGroupModel* groupModel_;

    QTreeView* treeView_ = nullptr;
    QTableView* timelineView_ = nullptr;
    QTreeView* groupView_ = nullptr;      // the timeline grouped by revision
    QStackedWidget* timelineStack_ = nullptr;
    DetailPane* detail_ = nullptr;
    Mailbox* storeMailbox_ = nullptr;  // queued calls to the store's thread
    QSet<WatchHandle> afreshPending_;  // watches not yet live on the cluster started afresh
    RevisionChart* chart_ = nullptr;
    QSplitter* mainSplitter_ = nullptr;
    QSplitter* rightSplitter_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    KeyBrowser* keyBrowser_ = nullptr;
    ClusterView* clusterView_ = nullptr;
    LeasesView* leasesView_ = nullptr;

    QLineEdit* endpointsEdit_ = nullptr;
    QPushButton* connectButton_ = nullptr;
    QLabel* connectionLabel_ = nullptr;
    QLineEdit* filterEdit_ = nullptr;
    QCheckBox* regexCheck_ = nullptr;
    QComboBox* kindCombo_ = nullptr;
    QComboBox* watchCombo_ = nullptr;

    QLabel* stateStatus_ = nullptr;
    QLabel* revisionStatus_ = nullptr;
    QLabel* rateStatus_ = nullptr;
    QLabel* backlogStatus_ = nullptr;
    QProgressBar* catchUp_ = nullptr;

    QAction* pauseAction_ = nullptr;
    QAction* followAction_ = nullptr;
    QAction* groupAction_ = nullptr;
    QSystemTrayIcon* tray_ = nullptr;

    QHash<WatchHandle, WatchDefinition> watches_;
    ConnectionStatus status_;
    qint64 serverRevision_ = 0;
    qint64 eventsRecorded_ = 0;
    qint64 unstoredEvents_ = 0;     // delivered to the store, not yet committed
    qint64 eventsThisSecond_ = 0;
    QTimer rateTimer_;
    QElapsedTimer lastNotification_;
    bool wasOpen_ = false;
    QString password_;  // in memory only; the keychain keeps it if the person asks
    bool progressAsked_ = false;   // the person asked; show the answer
    // Watches replaying history: from their start revision up to the store
    // revision at their creation.
    struct CatchUp {
        qint64 start = 0;
        qint64 target = 0;
        qint64 reached = 0;
        qint64 lastBatchMs = 0;
    };
    QHash<WatchHandle, CatchUp> catchingUp_;
    void trackCatchUp(const WatchInfo& info, qint64 nowMs);
    void updateCatchUpBar(qint64 nowMs);
};

}  // namespace etcdscope::ui
