// Viewing a log offline: an exported JSONL file or a log recorded by the
// monitor, in the same timeline and detail views, with no connection.
#pragma once

#include "format/event_record.h"

#include <QHash>

class QMainWindow;
class QWidget;

namespace etcdscope::ui {

// A log opened for offline viewing: an exported JSONL file or a recorded
// SQLite log.
struct OfflineLog {
    std::vector<EventRecord> records;
    QHash<qint64, QString> labels;  // watch id -> label, when the log knows them
    qint64 total = 0;               // events in the log (records may hold fewer)
};
OfflineLog readOfflineLog(const QString& path, QString* error);

// A window showing `log`; the caller shows it. Deleted when closed.
QMainWindow* createOfflineLogWindow(const QString& name, OfflineLog log, QWidget* parent = nullptr);

// Asks for a log file and shows it in a window of its own (File > Open log),
// or says in one sentence why it cannot be read.
void openOfflineLog(QWidget* parent);

}  // namespace etcdscope::ui
