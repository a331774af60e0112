// Reads of etcd's key space for the key browser: ranges (keys only or with
// values, at the newest revision or at an older one), off the caller's
// thread. A KvClient owns a worker thread; every request is queued to it and
// answered by a queued signal, so the GUI thread never waits on the network.
// Requests run one after another in the order they were made.
//
// The worker dials the endpoints in turn with the same channel settings,
// TLS files and user as the watch session (etcd_channel.h), authenticates
// when a user is set, and authenticates again once when etcd says the token
// is invalid or expired.
#pragma once

#include "connection_options.h"
#include "watch_types.h"

#include <QMetaType>
#include <QObject>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

class QThread;

namespace etcdscope {

struct RangeQuery {
    std::string key;
    std::string rangeEnd;        // empty: just `key`; "\0": every key >= key
    std::int64_t limit = 0;      // 0: no limit
    std::int64_t revision = 0;   // 0: the newest
    bool keysOnly = false;       // metadata without values
};

struct RangeResult {
    std::vector<KeyValue> kvs;
    bool more = false;           // the limit cut the range short
    std::int64_t count = 0;      // keys in the whole range
    std::int64_t revision = 0;   // the store's revision when etcd answered
    std::string error;           // one sentence for the person; empty on success
    bool compacted = false;      // the revision asked for was compacted
};
using RangeResultPtr = std::shared_ptr<const RangeResult>;

class KvWorker;

class KvClient : public QObject {
    Q_OBJECT

public:
    explicit KvClient(QObject* parent = nullptr);
    ~KvClient() override;

    // Used by the requests made after it; the open channel is dropped.
    void setConnection(ConnectionOptions options);
    // Queues a range; the answer comes as rangeDone with the returned id.
    quint64 range(RangeQuery query);

signals:
    void rangeDone(quint64 id, const etcdscope::RangeResultPtr& result);

private:
    QThread* thread_;
    KvWorker* worker_;
    std::atomic<quint64> nextId_{1};
};

}  // namespace etcdscope

Q_DECLARE_METATYPE(etcdscope::RangeResultPtr)
