// The monitor's main window: the connection bar, the tabs (watches, keys,
// cluster, leases) and the status bar, bound to the application controller
// (ui/app/monitor_controller.h), which owns the session, the recording and
// the acknowledgement of events. The window owns only widgets and the
// person's choices (settings, dialogs, notifications).
#pragma once

#include "app/monitor_controller.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QTimer>

#include <optional>

class QAction;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSystemTrayIcon;
class QTabWidget;

namespace etcdscope::ui {

class ClusterView;
class ConnectionFlow;
class EventTimelineModel;
class InsightView;
class KeyBrowser;
class LeasesView;
class MonitorView;
class RevisionChart;
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
    // The tabs, in order.
    enum Tab { WatchesTab, KeysTab, ClusterTab, LeasesTab, InsightTab };

    explicit MainWindow(MainWindowOptions options, QWidget* parent = nullptr);
    ~MainWindow() override;

    // For tests and screenshots.
    MonitorController* controller() const { return controller_; }
    WatchTreeModel* treeModel() const;
    EventTimelineModel* timelineModel() const;
    RevisionChart* chart() const;
    KeyBrowser* keyBrowser() const { return keyBrowser_; }
    ClusterView* clusterView() const { return clusterView_; }
    InsightView* insightView() const { return insightView_; }
    void showTab(int tab);
    qint64 eventsRecorded() const { return controller_->counters().eventsRecorded; }
    // Adds a watch as the dialog would; returns its handle.
    WatchHandle addWatch(const WatchSpec& spec, bool notify = false) { return controller_->addWatch(spec, notify); }
    void connectToCluster(const QString& endpoints);

signals:
    // Another cluster is connected to (History windows restore into it).
    void clusterChanged();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildActions();
    void buildToolBar();
    void buildTabs();
    void buildStatusBar();
    void bindController();
    void showRecords(const RecordBatch& records);
    void showStatus(const ConnectionStatus& status);
    void showCounters(const MonitorCounters& counters);
    void paintCounters();
    void showCatchUp(qint64 done, qint64 total);
    void showMessage(const QString& sentence);
    void showAddWatchDialog(const QByteArray& key = {}, bool prefix = false);
    void cancelSelectedWatch();
    void exportEvents();
    void openHistoryWindow();
    void notifyIfWanted(const std::vector<EventRecord>& records);
    void toggleConnection();
    void connectWith(const ConnectionOptions& options, const QString& endpoints, bool afresh = false);
    void saveLayout() const;
    void restoreLayout();

    MainWindowOptions options_;
    MonitorController* controller_;
    ConnectionFlow* connection_;

    QTabWidget* tabs_ = nullptr;
    MonitorView* monitor_ = nullptr;
    KeyBrowser* keyBrowser_ = nullptr;
    ClusterView* clusterView_ = nullptr;
    LeasesView* leasesView_ = nullptr;
    InsightView* insightView_ = nullptr;

    QLineEdit* endpointsEdit_ = nullptr;
    QPushButton* connectButton_ = nullptr;
    QLabel* connectionLabel_ = nullptr;
    QLabel* stateStatus_ = nullptr;
    QLabel* revisionStatus_ = nullptr;
    QLabel* rateStatus_ = nullptr;
    QLabel* backlogStatus_ = nullptr;
    QProgressBar* catchUp_ = nullptr;

    QAction* pauseAction_ = nullptr;
    QAction* followAction_ = nullptr;
    QAction* groupAction_ = nullptr;
    QSystemTrayIcon* tray_ = nullptr;
    QElapsedTimer lastNotification_;
    MonitorCounters counters_;  // the latest, shown by countersTimer_
    QTimer countersTimer_;
    // The cluster connected to (History windows restore into it).
    std::optional<ConnectionOptions> cluster_;
    QString clusterName_;
};

}  // namespace etcdscope::ui
