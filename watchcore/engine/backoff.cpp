#include "engine/backoff.h"

#include <algorithm>
#include <cmath>

namespace etcdscope {

std::chrono::milliseconds BackoffPolicy::delay(int attempt, double unitRandom) const
{
    const double cap = double(maximum.count());
    const double grown = double(initial.count()) * std::pow(multiplier, std::max(attempt, 0));
    const double full = std::min(grown, cap);
    // "Equal jitter": keep (1 - jitter) of the delay, randomise the rest, so a
    // delay never collapses to zero and the cap is never exceeded.
    const double kept = full * (1.0 - jitterFraction);
    const double random = full * jitterFraction * std::clamp(unitRandom, 0.0, 1.0);
    return std::chrono::milliseconds(std::llround(kept + random));
}

}  // namespace etcdscope
