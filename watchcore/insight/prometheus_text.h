// Prometheus' text exposition format (what etcd serves at /metrics), read
// into samples: `name{label="value",…} value [timestamp]` per line, `#`
// lines (HELP, TYPE, comments) skipped. A line that is not of that form
// makes the whole text "not Prometheus text", with the line named: a page
// of HTML or a proxy's error is never read as metrics. No I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace etcdscope {

struct MetricSample {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;  // in the order written
    double value = 0;                                          // +Inf, -Inf and NaN as such
};

struct MetricsText {
    std::vector<MetricSample> samples;
    std::string error;  // one sentence when the text is not Prometheus text; then no samples

    // The value of the sample `name` (without labels, or the sum over its
    // labelled samples); nullopt when the text has no such sample.
    std::optional<double> value(std::string_view name) const;
};

MetricsText parsePrometheusText(std::string_view text);

}  // namespace etcdscope
