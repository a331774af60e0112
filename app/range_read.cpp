#include "range_read.h"

#include "admin/kv_requests.h"
#include "decode/value_text.h"
#include "format/event_format.h"

namespace etcdscope::cli {

namespace {

constexpr std::int64_t kPageKeys = 1000;
constexpr int kPreviewChars = 60;

}  // namespace

WholeRange readWholeRange(AdminConnection& connection, const WatchSpec& range, std::int64_t revision)
{
    WholeRange whole;
    RangeQuery query;
    query.key = range.key;
    query.rangeEnd = range.rangeEnd;
    query.limit = range.rangeEnd.empty() ? 0 : kPageKeys;
    query.revision = revision;
    for (;;) {
        RangeResult page = readRange(connection, query);
        if (!page.error.empty()) {
            whole.keys.clear();
            whole.error = page.error;
            whole.compacted = page.compacted;
            return whole;
        }
        if (query.revision == 0)
            query.revision = page.revision;
        for (KeyValue& kv : page.kvs)
            whole.keys.emplace(kv.key, std::move(kv));
        if (!page.more || page.kvs.empty())
            break;
        query.key = whole.keys.rbegin()->first + '\0';  // the next key after the last one read
    }
    whole.revision = query.revision;
    return whole;
}

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
