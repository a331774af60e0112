// Two versions of a value as people compare them: a line diff (bounded in
// memory), and JSON pretty-printed so that reformatting is not a change.
// Shared by the monitor's Diff tabs and etcdscope-cli diff.
#pragma once

#include <QByteArray>
#include <QString>

#include <optional>
#include <vector>

namespace etcdscope {

// Pretty-printed JSON, or nullopt when the bytes are not a JSON document.
std::optional<QString> prettyJson(const QByteArray& bytes);

struct DiffLine {
    enum class Kind { Same, Removed, Added } kind;
    QString text;
    friend bool operator==(const DiffLine&, const DiffLine&) = default;
};
// Line diff (a shortest edit script, in bounded memory). Inputs beyond
// maxLines lines give nullopt: too large to show interactively.
std::optional<std::vector<DiffLine>> diffLines(const QString& before, const QString& after, int maxLines = 4000);


}  // namespace etcdscope
