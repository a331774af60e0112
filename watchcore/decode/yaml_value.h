// A value as YAML: configuration stored in etcd is often YAML (or JSON, which
// reads more easily as YAML). libyaml parses the value and emits it again in
// block style, two-space indents, lines never folded; strings lose their quotes
// where the YAML core schema would still read them as strings. Anchors and
// aliases are kept as they are, never expanded.
#pragma once

#include <QByteArray>
#include <QString>

#include <variant>

namespace etcdscope {

struct YamlText {
    QString text;        // the value in block style
    int documents = 1;   // how many documents the value holds
};

struct NotYaml {
    QString reason;      // one sentence: why there is no YAML view of this value
};

// YAML for values whose (first non-empty) document is a mapping or a sequence;
// NotYaml for plain text, scalars, binary bytes, values over `maxBytes`, and
// bytes that do not parse (with libyaml's line and column).
std::variant<YamlText, NotYaml> yamlView(const QByteArray& value, qsizetype maxBytes = 4 * 1024 * 1024);

}  // namespace etcdscope
