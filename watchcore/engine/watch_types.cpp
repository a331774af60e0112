#include "engine/watch_types.h"

namespace etcdscope {

std::string prefixRangeEnd(const std::string& key)
{
    std::string end = key;
    while (!end.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(end.back());
        if (last < 0xff) {
            ++last;
            return end;
        }
        end.pop_back();
    }
    // Every byte was 0xff (or the key was empty): the prefix covers the rest
    // of the keyspace.
    return fromKeyRangeEnd();
}

const char* watchStateName(WatchState state)
{
    switch (state) {
    case WatchState::Pending: return "pending";
    case WatchState::Creating: return "creating";
    case WatchState::Live: return "live";
    case WatchState::Resuming: return "resuming";
    case WatchState::Cancelled: return "cancelled";
    }
    return "unknown";
}

}  // namespace etcdscope
