#include "recording/store_worker.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcStore, "etcdscope.store", QtInfoMsg)

namespace etcdscope {

StoreWorker::StoreWorker(QString path) : path_(std::move(path)) {}
StoreWorker::~StoreWorker() = default;

void StoreWorker::open()
{
    QString error;
    store_ = EventStore::open(path_, &error);
    if (!store_) {
        qCWarning(lcStore).noquote() << "cannot open" << path_ << "-" << error;
        tell(&StoreWorker::opened, false, error, std::vector<WatchDefinition>{});
        return;
    }
    tell(&StoreWorker::opened, true, QString(), store_->watches());
}

void StoreWorker::bindWatch(WatchHandle handle, qint64 storeId) { storeIds_.insert(handle, storeId); }

void StoreWorker::addWatch(WatchHandle handle, WatchDefinition definition)
{
    if (!store_)
        return;
    const qint64 storeId = store_->addWatch(definition);
    if (storeId > 0)
        storeIds_.insert(handle, storeId);
}

void StoreWorker::removeWatch(WatchHandle handle)
{
    if (store_ && storeIds_.contains(handle))
        store_->removeWatch(storeIds_.take(handle));
}

void StoreWorker::setResumeRevision(WatchHandle handle, qint64 lastRevision)
{
    if (store_ && storeIds_.contains(handle))
        store_->setLastRevision(storeIds_.value(handle), lastRevision);
}

void StoreWorker::append(RecordBatch batch, qint64 eventCount)
{
    if (!store_) {
        tell(&StoreWorker::appendFailed, tr("The event log is not open."), eventCount);
        return;
    }
    // The store files records under persistent ids; this run's handles are
    // mapped as they are written, so the shared batch is never copied.
    QString error;
    if (!store_->append(*batch, [this](WatchHandle handle) { return storeIds_.value(handle, 0); }, &error)) {
        qCWarning(lcStore).noquote() << "append of" << batch->size() << "records failed -" << error;
        tell(&StoreWorker::appendFailed, error, eventCount);
        return;
    }
    tell(&StoreWorker::appended, eventCount);
}

void StoreWorker::exportTo(QString path, ExportFormat format, std::optional<WatchHandle> watch, QString keyContains,
                           std::shared_ptr<std::atomic<bool>> cancelled)
{
    if (!store_) {
        tell(&StoreWorker::exportFinished, false, tr("The event log is not open."), path);
        return;
    }
    RecordFilter filter;
    if (watch)
        filter.watch = storeIds_.value(*watch, -1);
    filter.keyContains = keyContains;
    QString error;
    const bool ok = store_->exportTo(path, format, filter, [&](qint64 done, qint64 total) {
        tell(&StoreWorker::exportProgress, done, total);
        return !cancelled->load();
    }, &error);
    tell(&StoreWorker::exportFinished, ok, error, path);
}

}  // namespace etcdscope
