// Which member of the cluster to dial next. Sans-I/O: the session and the
// admin client each keep one and move it on after a failure, so that an
// unreachable member is left for the next one (W9) in a fixed, round-robin
// order that tests can predict.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace etcdscope {

class EndpointRotation {
public:
    EndpointRotation() = default;
    explicit EndpointRotation(std::vector<std::string> endpoints) : endpoints_(std::move(endpoints)) {}

    // The member to dial now; an empty string when there is none.
    const std::string& current() const;
    // After a failure at current(): the next member, wrapping around.
    void advance();
    // A new connection starts at the first member again.
    void restart() { index_ = 0; }

    std::size_t size() const { return endpoints_.size(); }
    bool empty() const { return endpoints_.empty(); }
    const std::vector<std::string>& endpoints() const { return endpoints_; }

private:
    std::vector<std::string> endpoints_;  // host:port, in the order given
    std::size_t index_ = 0;               // into endpoints_; always < size() when not empty
};

}  // namespace etcdscope
