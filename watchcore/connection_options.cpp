#include "connection_options.h"

#include <algorithm>
#include <cctype>

namespace etcdscope {

namespace {

std::string trimmed(std::string s)
{
    auto notSpace = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
    s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
    return s;
}

bool isValidPort(const std::string& port)
{
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit))
        return false;
    const int value = std::stoi(port);
    return value > 0 && value < 65536;
}

}  // namespace

ParsedEndpoints parseEndpointList(const std::string& list)
{
    ParsedEndpoints parsed;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        std::string endpoint = trimmed(list.substr(start, comma - start));
        start = comma + 1;
        if (endpoint.empty())
            continue;
        for (const char* scheme : {"http://", "https://"}) {
            if (endpoint.rfind(scheme, 0) == 0) {
                parsed.tlsScheme = parsed.tlsScheme || std::string(scheme) == "https://";
                endpoint.erase(0, std::char_traits<char>::length(scheme));
            }
        }
        while (!endpoint.empty() && endpoint.back() == '/')
            endpoint.pop_back();
        const auto colon = endpoint.rfind(':');
        const bool bracketed = !endpoint.empty() && endpoint.front() == '[';
        if (colon == std::string::npos || colon == 0 || (bracketed && endpoint[colon - 1] != ']')
            || !isValidPort(endpoint.substr(colon + 1))
            || endpoint.find_first_of(" \t/?#@") != std::string::npos) {
            parsed.error = "\"" + endpoint + "\" is not an endpoint; expected host:port, e.g. 127.0.0.1:2379";
            return parsed;
        }
        parsed.endpoints.push_back(endpoint);
    }
    if (parsed.endpoints.empty())
        parsed.error = "no endpoint given; expected host:port, e.g. 127.0.0.1:2379";
    return parsed;
}

}  // namespace etcdscope
