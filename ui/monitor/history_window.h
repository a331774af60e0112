// The History window: what a recorded log (the recorder's or the monitor's,
// a SQLite file or a PostgreSQL database) knows of a key or a range — every
// version oldest first with the diff to the one before, the keys deleted
// under a prefix with the value they had, the versions whose value contains
// a text — and the gaps where the recording lost revisions. Queries run on a
// pooled thread with their own connection; the window never waits on them.
//
// With a cluster to write to and Read-write switched on, the window puts the
// key or range back as it was at a revision (restore/restore_plan.h): the plan
// is read, shown in a confirmation with exactly what changes, and each write
// happens only if the key is still as the plan read it.
#pragma once

#include "insight/churn.h"
#include "recording/recorded_state.h"
#include "restore/restore_plan.h"
#include "transport/connection_options.h"

#include <QFutureWatcher>
#include <QMainWindow>

#include <functional>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableView;

namespace etcdscope::ui {

class ChurnModel;
class DetailPane;
class EventTimelineModel;

class HistoryWindow : public QMainWindow {
    Q_OBJECT

public:
    // `location`: a SQLite file or a postgresql:// URL.
    explicit HistoryWindow(QString location, QWidget* parent = nullptr);
    ~HistoryWindow() override;

    // The form's query, as the Show button runs it.
    void setQuery(const QString& key, bool prefix, bool deletedOnly, const QString& grep);
    // The churn of the key or range over the recording instead: who wrote
    // what, per group (as etcdscope-cli churn), over the last `seconds`
    // (0: the whole recording); runQuery() shows it.
    void setChurnQuery(const QString& key, bool prefix, ChurnGrouping grouping, int depth, qint64 seconds = 0);
    void runQuery();
    // Rows shown: versions, or groups of the churn.
    int rowCount() const;
    ChurnModel* churnModel() const { return churnModel_; }
    // Selects a row of the results (the detail pane follows, and the
    // revision to restore to becomes that version's).
    void selectRow(int row);

    // The cluster a restore writes to, by the name shown to the person
    // (nullopt: restoring is not offered), and whether writing is switched
    // on for it (the Keys tab's Read-write).
    void setCluster(std::optional<ConnectionOptions> options, const QString& name);
    void setWritable(bool writable);
    // How a restore is confirmed (a message box by default; tests answer).
    using Confirm = std::function<bool(const QString& title, const QString& text)>;
    void setConfirm(Confirm confirm) { confirm_ = std::move(confirm); }
    // Restores the form's key or range as at `revision`, as the Restore
    // button does: plan, confirmation, guarded writes; restoreFinished follows.
    void restoreAsOf(qint64 revision, bool overwrite);
    QString statusText() const;

signals:
    // The results of a query are on screen (rows), or it failed (-1).
    void resultsShown(int rows);
    // A restore ended: `written` changes made (-1: nothing was tried — an
    // error, nothing to change, or not confirmed); the status says what.
    void restoreFinished(int written);

private:
    struct Answer {
        std::vector<EventRecord> records;
        std::optional<RecordedChurn> churn;  // the churn mode's answer
        qint64 sinceMs = 0;                  // the churn's span began then (0: the whole recording)
        QString error;
    };
    void showAnswer();
    void showChurn(const Answer& answer);
    void updateModeControls();
    std::optional<WatchSpec> formRange();
    void updateRestoreControls();
    void confirmRestore();
    void showRestoreOutcome();
    void finishRestore(const QString& sentence, int written);

    QString location_;
    QString logName_;   // the file's name, or the database URL
    QLineEdit* key_ = nullptr;
    QCheckBox* prefix_ = nullptr;
    QComboBox* mode_ = nullptr;
    QLineEdit* grep_ = nullptr;
    QPushButton* show_ = nullptr;
    QLabel* status_ = nullptr;
    EventTimelineModel* model_ = nullptr;
    QTableView* view_ = nullptr;
    DetailPane* detail_ = nullptr;
    QStackedWidget* results_ = nullptr;  // the versions, or the churn
    QWidget* churnControls_ = nullptr;
    QComboBox* churnGrouping_ = nullptr;
    QSpinBox* churnDepth_ = nullptr;
    QComboBox* churnSpan_ = nullptr;
    ChurnModel* churnModel_ = nullptr;
    QTableView* churnTable_ = nullptr;
    QLineEdit* restoreRevision_ = nullptr;
    QCheckBox* overwrite_ = nullptr;
    QPushButton* restore_ = nullptr;
    QLabel* restoreHint_ = nullptr;
    QFutureWatcher<Answer> watcher_;

    std::optional<ConnectionOptions> cluster_;
    QString clusterName_;
    bool writable_ = false;
    Confirm confirm_;
    QFutureWatcher<RestorePlan> planWatcher_;
    QFutureWatcher<RestoreOutcome> applyWatcher_;
    RestorePlan plan_;  // the plan confirmed, while its writes run
};

// Asks for a recorded log — a SQLite file or a postgresql:// URL (File >
// Open history…), the last one offered again — and shows its History
// window; nullptr when the person cancels.
HistoryWindow* openHistory(QWidget* parent, const QString& suggested = {});

}  // namespace etcdscope::ui
