// The History window: what a recorded log (the recorder's or the monitor's,
// a SQLite file or a PostgreSQL database) knows of a key or a range — every
// version oldest first with the diff to the one before, the keys deleted
// under a prefix with the value they had, the versions whose value contains
// a text — and the gaps where the recording lost revisions. Queries run on a
// pooled thread with their own connection; the window never waits on them.
#pragma once

#include "recording/recorded_state.h"

#include <QFutureWatcher>
#include <QMainWindow>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace etcdscope::ui {

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
    void runQuery();
    int rowCount() const;
    // Selects a row of the results (the detail pane follows).
    void selectRow(int row);

signals:
    // The results of a query are on screen (rows), or it failed (-1).
    void resultsShown(int rows);

private:
    struct Answer {
        std::vector<EventRecord> records;
        QString error;
    };
    void showAnswer();

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
    QFutureWatcher<Answer> watcher_;
};

// Asks for a recorded log (File > Open history…) and shows its History window.
void openHistory(QWidget* parent);

}  // namespace etcdscope::ui
