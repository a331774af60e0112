#include "transport/connection_options.h"

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
    auto reject = [&](const std::string& entry, const std::string& why) {
        parsed.error = "\"" + entry + "\" is not an endpoint: " + why + "; expected host:port, e.g. 127.0.0.1:2379";
        return parsed;
    };
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string entry = trimmed(list.substr(start, comma - start));
        start = comma + 1;
        if (entry.empty())
            continue;
        std::string endpoint = entry;
        for (const char* scheme : {"http://", "https://"}) {
            if (endpoint.rfind(scheme, 0) == 0) {
                parsed.tlsScheme = parsed.tlsScheme || std::string(scheme) == "https://";
                endpoint.erase(0, std::char_traits<char>::length(scheme));
            }
        }
        while (!endpoint.empty() && endpoint.back() == '/')
            endpoint.pop_back();
        if (endpoint.empty())
            return reject(entry, "there is no host:port after the scheme");
        if (endpoint.find_first_of(" \t") != std::string::npos)
            return reject(entry, "it contains a space");
        if (endpoint.find_first_of("/?#@") != std::string::npos)
            return reject(entry, "a path, query or user name has no place in it");
        const auto colon = endpoint.rfind(':');
        if (colon == std::string::npos)
            return reject(entry, "the port is missing");
        const std::string host = endpoint.substr(0, colon);
        const std::string port = endpoint.substr(colon + 1);
        const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
        if (host.empty() || (bracketed && host.size() == 2))
            return reject(entry, "the host is missing");
        if (!bracketed && host.find_first_of(":[]") != std::string::npos)
            return reject(entry, "too many colons (write an IPv6 address in brackets, e.g. [::1]:2379)");
        if (port.empty())
            return reject(entry, "the port is missing");
        if (!isValidPort(port))
            return reject(entry, "the port \"" + port + "\" is not a number from 1 to 65535");
        parsed.endpoints.push_back(endpoint);
    }
    if (parsed.endpoints.empty())
        parsed.error = "\"" + list + "\" holds no endpoint; expected host:port, e.g. 127.0.0.1:2379";
    return parsed;
}

}  // namespace etcdscope
