#include "admin/admin_client.h"

#include "admin/admin_connection.h"
#include "admin/auth_requests.h"
#include "admin/cluster_requests.h"
#include "admin/kv_requests.h"
#include "admin/lease_requests.h"
#include "admin/maintenance_requests.h"
#include "transport/thread_handoff.h"

#include <QThread>

namespace etcdscope {

namespace {

// Progress of a snapshot is reported this often.
constexpr qint64 kSnapshotProgressBytes = 4 << 20;

}  // namespace

// Lives on the client's thread and owns the connection there; blocking
// calls on it keep the order of requests simple and never touch the
// caller's thread.
class AdminWorker : public QObject {
public:
    AdminConnection connection;
};

AdminClient::AdminClient(QObject* parent)
    : QObject(parent)
    , thread_(new QThread(this))
    , worker_(new AdminWorker)
    , workerMailbox_(new Mailbox(worker_))
    , clientMailbox_(new Mailbox(this))
    , snapshotJob_(std::make_shared<SnapshotJob>())
{
    qRegisterMetaType<RangeResultPtr>();
    qRegisterMetaType<ClusterStatusPtr>();
    qRegisterMetaType<LeaseListPtr>();
    qRegisterMetaType<WriteResultPtr>();
    qRegisterMetaType<AuthInfoPtr>();
    thread_->setObjectName("etcdscope-admin");
    worker_->moveToThread(thread_);
    thread_->start();
}

AdminClient::~AdminClient()
{
    // A request in progress is cancelled, so closing never waits on the network.
    worker_->connection.stop();
    snapshotJob_->cancel();
    // Quit from the worker's queue (requests still queued end at once: the
    // connection is stopping), releasing what it touched before its deletion here.
    workerMailbox_->post([w = worker_, thread = thread_] {
        handoffRelease(w);
        thread->quit();
    });
    thread_->wait();
    handoffAcquire(worker_);
    delete worker_;
}

void AdminClient::setConnection(ConnectionOptions options)
{
    workerMailbox_->post([w = worker_, o = std::move(options)]() mutable { w->connection.reset(std::move(o)); });
}

template <typename Result, typename Work>
quint64 AdminClient::post(Work work, void (AdminClient::*done)(quint64, const std::shared_ptr<const Result>&))
{
    const quint64 id = nextId_.fetch_add(1);
    workerMailbox_->post([this, w = worker_, id, work = std::move(work), done] {
        auto result = std::make_shared<const Result>(work(w->connection));
        clientMailbox_->post([this, id, result, done] { emit(this->*done)(id, result); });
    });
    return id;
}

quint64 AdminClient::range(RangeQuery query)
{
    return post<RangeResult>([q = std::move(query)](AdminConnection& c) { return readRange(c, q); },
                             &AdminClient::rangeDone);
}

quint64 AdminClient::clusterStatus(std::chrono::milliseconds perMemberTimeout)
{
    return post<ClusterStatus>([perMemberTimeout](AdminConnection& c) { return readClusterStatus(c, perMemberTimeout); },
                               &AdminClient::clusterStatusDone);
}

quint64 AdminClient::put(std::string key, std::string value, std::optional<std::int64_t> expectedModRevision)
{
    return post<WriteResult>([k = std::move(key), v = std::move(value), expectedModRevision](AdminConnection& c) {
        return putKey(c, k, v, expectedModRevision);
    }, &AdminClient::writeDone);
}

quint64 AdminClient::deleteRange(std::string key, std::string rangeEnd)
{
    return post<WriteResult>([k = std::move(key), e = std::move(rangeEnd)](AdminConnection& c) {
        return deleteKeys(c, k, e);
    }, &AdminClient::writeDone);
}

quint64 AdminClient::disarmAlarms()
{
    return post<WriteResult>([](AdminConnection& c) { return etcdscope::disarmAlarms(c); }, &AdminClient::writeDone);
}

quint64 AdminClient::compact(std::int64_t revision)
{
    return post<WriteResult>([revision](AdminConnection& c) { return compactHistory(c, revision); },
                             &AdminClient::writeDone);
}

quint64 AdminClient::defragment(std::uint64_t memberId, std::vector<std::string> clientUrls)
{
    return post<WriteResult>([memberId, urls = std::move(clientUrls)](AdminConnection& c) {
        return defragmentMember(c, memberId, urls);
    }, &AdminClient::writeDone);
}

quint64 AdminClient::snapshot(QString path)
{
    // The id post() is about to take (requests are made on one thread).
    const quint64 id = nextId_.load();
    snapshotJob_->arm();
    return post<WriteResult>(
        [this, id, job = snapshotJob_, p = std::move(path)](AdminConnection& c) {
            qint64 reported = 0;
            return job->run(c, p, [this, id, &reported](qint64 bytes) {
                if (bytes - reported < kSnapshotProgressBytes)
                    return;
                reported = bytes;
                clientMailbox_->post([this, id, bytes] { emit snapshotProgress(id, bytes); });
            });
        },
        &AdminClient::writeDone);
}

void AdminClient::cancelSnapshot() { snapshotJob_->cancel(); }

quint64 AdminClient::authInfo()
{
    return post<AuthInfo>([](AdminConnection& c) { return readAuthInfo(c); }, &AdminClient::authInfoDone);
}

quint64 AdminClient::leases(int limit)
{
    return post<LeaseList>([limit](AdminConnection& c) { return readLeases(c, limit); }, &AdminClient::leasesDone);
}

}  // namespace etcdscope
