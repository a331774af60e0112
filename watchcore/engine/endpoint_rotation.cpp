#include "engine/endpoint_rotation.h"

namespace etcdscope {

const std::string& EndpointRotation::current() const
{
    static const std::string none;
    return endpoints_.empty() ? none : endpoints_[index_];
}

void EndpointRotation::advance()
{
    if (!endpoints_.empty())
        index_ = (index_ + 1) % endpoints_.size();
}

}  // namespace etcdscope
