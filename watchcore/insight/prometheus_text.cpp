#include "insight/prometheus_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace etcdscope {

namespace {

constexpr std::size_t kQuotedLineChars = 60;

bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool isNameChar(char c) { return isNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

void skipBlanks(std::string_view line, std::size_t& at)
{
    while (at < line.size() && (line[at] == ' ' || line[at] == '\t'))
        ++at;
}

std::string_view readName(std::string_view line, std::size_t& at)
{
    const std::size_t begin = at;
    if (at < line.size() && isNameStart(line[at]))
        while (++at < line.size() && isNameChar(line[at])) {
        }
    return line.substr(begin, at - begin);
}

// `"…"` with the escapes \\, \" and \n.
std::optional<std::string> readQuoted(std::string_view line, std::size_t& at)
{
    if (at >= line.size() || line[at] != '"')
        return std::nullopt;
    std::string value;
    for (++at; at < line.size(); ++at) {
        const char c = line[at];
        if (c == '"') {
            ++at;
            return value;
        }
        if (c == '\\') {
            if (++at >= line.size())
                return std::nullopt;
            const char escaped = line[at];
            if (escaped == 'n')
                value += '\n';
            else if (escaped == '\\' || escaped == '"')
                value += escaped;
            else
                return std::nullopt;
        } else {
            value += c;
        }
    }
    return std::nullopt;
}

// A Go float as Prometheus writes it: 12, 2.147483648e+09, +Inf, -Inf, NaN.
std::optional<double> readValue(std::string_view token)
{
    if (token == "+Inf" || token == "Inf")
        return std::numeric_limits<double>::infinity();
    if (token == "-Inf")
        return -std::numeric_limits<double>::infinity();
    if (token == "NaN")
        return std::numeric_limits<double>::quiet_NaN();
    if (!token.empty() && token.front() == '+')
        token.remove_prefix(1);
    double value = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || end != token.data() + token.size())
        return std::nullopt;
    return value;
}

std::optional<MetricSample> readSample(std::string_view line)
{
    MetricSample sample;
    std::size_t at = 0;
    const std::string_view name = readName(line, at);
    if (name.empty())
        return std::nullopt;
    sample.name = std::string(name);
    if (at < line.size() && line[at] == '{') {
        ++at;
        for (;;) {
            skipBlanks(line, at);
            if (at < line.size() && line[at] == '}') {
                ++at;
                break;
            }
            const std::string_view label = readName(line, at);
            skipBlanks(line, at);
            if (label.empty() || at >= line.size() || line[at] != '=')
                return std::nullopt;
            ++at;
            skipBlanks(line, at);
            std::optional<std::string> value = readQuoted(line, at);
            if (!value)
                return std::nullopt;
            sample.labels.emplace_back(std::string(label), std::move(*value));
            skipBlanks(line, at);
            if (at < line.size() && line[at] == ',')
                ++at;
            else if (at >= line.size() || line[at] != '}')
                return std::nullopt;
        }
    }
    if (at >= line.size() || (line[at] != ' ' && line[at] != '\t'))
        return std::nullopt;
    skipBlanks(line, at);
    const std::size_t valueEnd = line.find_first_of(" \t", at);
    const std::optional<double> value = readValue(line.substr(at, valueEnd == line.npos ? line.npos : valueEnd - at));
    if (!value)
        return std::nullopt;
    sample.value = *value;
    if (valueEnd != line.npos) {  // a timestamp in ms, an integer
        std::size_t stamp = valueEnd;
        skipBlanks(line, stamp);
        const std::string_view rest = line.substr(stamp);
        long long ms = 0;
        const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), ms);
        if (!rest.empty() && (ec != std::errc() || end != rest.data() + rest.size()))
            return std::nullopt;
    }
    return sample;
}

std::string quoted(std::string_view line)
{
    std::string shown;
    for (const char c : line.substr(0, kQuotedLineChars))
        shown += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    return line.size() > kQuotedLineChars ? shown + "…" : shown;
}

}  // namespace

std::optional<double> MetricsText::value(std::string_view name) const
{
    std::optional<double> total;
    for (const MetricSample& s : samples)
        if (s.name == name)
            total = total.value_or(0) + s.value;
    return total;
}

MetricsText parsePrometheusText(std::string_view text)
{
    MetricsText result;
    std::size_t lineNumber = 0;
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == text.npos ? std::string_view() : text.substr(newline + 1);
        ++lineNumber;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        std::size_t at = 0;
        skipBlanks(line, at);
        line.remove_prefix(at);
        if (line.empty() || line.front() == '#')
            continue;
        std::optional<MetricSample> sample = readSample(line);
        if (!sample) {
            result.samples.clear();
            result.error = "It is not Prometheus text: line " + std::to_string(lineNumber) + " reads \"" +
                           quoted(line) + "\".";
            return result;
        }
        result.samples.push_back(std::move(*sample));
    }
    if (result.samples.empty())
        result.error = "It holds no metrics.";
    return result;
}

}  // namespace etcdscope
