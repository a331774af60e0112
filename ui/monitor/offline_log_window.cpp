#include "monitor/offline_log_window.h"

#include "monitor/event_timeline_model.h"
#include "recording/event_store.h"
#include "shared/detail_pane.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QMainWindow>
#include <QMessageBox>
#include <QSplitter>
#include <QTableView>

namespace etcdscope::ui {

namespace {

// An offline window holds at most this many events (the rest: export them).
constexpr int kOfflineMaxRecords = 200'000;
constexpr int kOfflinePageRecords = 5'000;

}  // namespace

OfflineLog readOfflineLog(const QString& path, QString* error)
{
    OfflineLog log;
    if (!path.endsWith(".sqlite", Qt::CaseInsensitive)) {
        log.records = readJsonlFile(path, error);
        return log;
    }
    // A log recorded by the monitor; SQLite's WAL lets us read it while a
    // running monitor writes to it.
    auto store = EventStore::open(path, error);
    if (!store)
        return log;
    for (const WatchDefinition& watch : store->watches())
        log.labels.insert(watch.storeId, watch.label);
    log.total = store->count({});
    qint64 afterId = 0;
    while (int(log.records.size()) < kOfflineMaxRecords) {
        auto page = store->read({}, afterId, kOfflinePageRecords);
        if (page.empty())
            break;
        afterId = page.back().id;
        for (EventRecord& r : page)
            log.records.push_back(std::move(r));
    }
    return log;
}

QMainWindow* createOfflineLogWindow(const QString& name, OfflineLog log, QWidget* parent)
{
    // An offline window: the same timeline and detail views, no connection.
    auto* window = new QMainWindow(parent);
    window->setObjectName("offlineLogWindow");
    window->setAttribute(Qt::WA_DeleteOnClose);
    const qint64 shown = qint64(log.records.size());
    window->setWindowTitle(log.total > shown ? QObject::tr("%1 — offline log (first %2 of %3 events)").arg(name).arg(shown).arg(log.total)
                                             : QObject::tr("%1 — offline log (%2 events)").arg(name).arg(shown));
    auto* model = new EventTimelineModel(window);
    model->setMaxRows(int(std::max<qint64>(shown, 1)));
    for (auto it = log.labels.cbegin(); it != log.labels.cend(); ++it)
        model->setWatchLabel(it.key(), it.value());
    auto* view = new QTableView;
    view->setObjectName("offlineTimeline");
    view->setModel(model);
    configureTimelineView(view);
    auto* detail = new DetailPane;
    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(view);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    window->setCentralWidget(splitter);
    QObject::connect(view->selectionModel(), &QItemSelectionModel::currentRowChanged, detail,
            [model, detail, labels = log.labels](const QModelIndex& current) {
                if (!current.isValid())
                    return;
                const EventRecord& r = model->record(current.row());
                detail->showRecord(r, labels.value(r.watch, QObject::tr("watch %1").arg(r.watch)));
            });
    model->append(log.records);
    window->resize(1200, 760);
    return window;
}

void openOfflineLog(QWidget* parent)
{
    const QString path = QFileDialog::getOpenFileName(
        parent, QObject::tr("Open event log"), QDir::homePath(),
        QObject::tr("Event logs (*.jsonl *.json *.sqlite);;JSON lines (*.jsonl *.json);;Recorded logs (*.sqlite);;All "
                    "files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    OfflineLog log = readOfflineLog(path, &error);
    if (!error.isEmpty()) {
        QMessageBox::warning(parent, QObject::tr("Cannot open the log"), error);
        return;
    }
    createOfflineLogWindow(QFileInfo(path).fileName(), std::move(log), parent)->show();
}

}  // namespace etcdscope::ui
