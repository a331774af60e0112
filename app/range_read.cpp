#include "range_read.h"

#include "decode/value_text.h"
#include "format/event_format.h"

namespace etcdscope::cli {

namespace {

constexpr int kPreviewChars = 60;

}  // namespace

std::string shownKey(const std::string& key) { return escapeKey(QByteArray::fromStdString(key)).toStdString(); }

std::string shortValue(const KeyValue& kv)
{
    return valuePreview(QByteArray::fromStdString(kv.key), QByteArray::fromStdString(kv.value), kPreviewChars)
        .toStdString();
}

std::string keyValueJsonFields(const KeyValue& kv, const std::string& prefix)
{
    WatchEvent event;
    event.kv = kv;
    std::string line;
    appendEventJson(line, 1, event);  // UTF-8 fields or their _b64 forms, as the watch writes them
    line.erase(0, line.find(",\"key"));
    line.resize(line.size() - 2);  // "}\n"
    if (prefix.empty())
        return line;
    std::string renamed;
    for (std::size_t i = 0; i < line.size(); ++i) {
        renamed += line[i];
        if (line[i] == ',' && i + 1 < line.size() && line[i + 1] == '"') {
            renamed += '"' + prefix;
            ++i;
        }
    }
    return renamed;
}

}  // namespace etcdscope::cli
