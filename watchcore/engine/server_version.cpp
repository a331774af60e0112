#include "engine/server_version.h"

#include <cstdio>

namespace etcdscope {

namespace {

// True when `version` ("3.4.23", "3.5.0-rc.1") is at least 3.4.`patch34`,
// 3.5.`patch35` or any later minor or major version.
bool atLeast(const std::string& version, int patch34, int patch35)
{
    int major = 0, minor = 0, patch = 0;
    if (std::sscanf(version.c_str(), "%d.%d.%d", &major, &minor, &patch) < 2)
        return false;
    if (major != 3)
        return major > 3;
    if (minor == 4)
        return patch >= patch34;
    if (minor == 5)
        return patch >= patch35;
    return minor > 5;
}

}  // namespace

bool compactRevisionKeepsDeletes(const std::string& version) { return atLeast(version, 34, 16); }

bool broadcastProgressIsOrdered(const std::string& version) { return atLeast(version, 25, 8); }

}  // namespace etcdscope
