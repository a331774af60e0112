// Builders for the messages an etcd server sends on a Watch stream, so engine
// tests read as a scripted conversation.
#pragma once

#include "etcd/etcdserverpb/rpc.pb.h"

#include <cstdint>
#include <string>
#include <vector>

namespace etcdscope::script {

struct Ev {
    bool put = true;
    std::string key;
    std::string value;
    std::int64_t modRevision = 0;
};

inline etcdserverpb::WatchResponse created(std::int64_t watchId, std::int64_t headerRevision)
{
    etcdserverpb::WatchResponse r;
    r.mutable_header()->set_revision(headerRevision);
    r.set_watch_id(watchId);
    r.set_created(true);
    return r;
}

inline etcdserverpb::WatchResponse refused(std::int64_t watchId, std::int64_t headerRevision, std::string reason)
{
    auto r = created(watchId, headerRevision);
    r.set_canceled(true);
    r.set_cancel_reason(std::move(reason));
    return r;
}

inline etcdserverpb::WatchResponse events(std::int64_t watchId, std::int64_t headerRevision,
                                          const std::vector<Ev>& list, bool fragment = false)
{
    etcdserverpb::WatchResponse r;
    r.mutable_header()->set_revision(headerRevision);
    r.set_watch_id(watchId);
    r.set_fragment(fragment);
    for (const Ev& e : list) {
        auto* event = r.add_events();
        event->set_type(e.put ? mvccpb::Event::PUT : mvccpb::Event::DELETE);
        event->mutable_kv()->set_key(e.key);
        event->mutable_kv()->set_value(e.value);
        event->mutable_kv()->set_mod_revision(e.modRevision);
        event->mutable_kv()->set_create_revision(e.modRevision);
        event->mutable_kv()->set_version(1);
    }
    return r;
}

inline etcdserverpb::WatchResponse progress(std::int64_t watchId, std::int64_t headerRevision)
{
    etcdserverpb::WatchResponse r;
    r.mutable_header()->set_revision(headerRevision);
    r.set_watch_id(watchId);
    return r;
}

inline etcdserverpb::WatchResponse serverCancel(std::int64_t watchId, std::int64_t compactRevision,
                                                std::string reason = {})
{
    etcdserverpb::WatchResponse r;
    r.mutable_header()->set_revision(compactRevision > 0 ? 0 : 1);  // etcd sends 0 on compaction
    r.set_watch_id(watchId);
    r.set_canceled(true);
    r.set_compact_revision(compactRevision);
    r.set_cancel_reason(std::move(reason));
    return r;
}

}  // namespace etcdscope::script
