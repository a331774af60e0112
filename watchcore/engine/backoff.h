// Reconnect back-off: exponential, capped, with jitter so that many clients
// that lost the same member do not come back in lock-step.
#pragma once

#include <chrono>

namespace etcdscope {

struct BackoffPolicy {
    std::chrono::milliseconds initial{100};   // delay before the first retry
    std::chrono::milliseconds maximum{5000};  // the cap, whatever the attempt
    double multiplier = 2.0;                  // growth per failed attempt
    double jitterFraction = 0.5;  // up to this share of a delay is randomised

    // The delay before retry number `attempt` (0-based). `unitRandom` is in
    // [0, 1); the caller supplies it so that this stays deterministic.
    std::chrono::milliseconds delay(int attempt, double unitRandom) const;
};

}  // namespace etcdscope
