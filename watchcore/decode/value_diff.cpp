#include "decode/value_diff.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QStringList>

#include <dtl/dtl.hpp>

namespace etcdscope {

std::optional<QString> prettyJson(const QByteArray& bytes)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError || doc.isNull())
        return std::nullopt;
    return QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
}

std::optional<std::vector<DiffLine>> diffLines(const QString& before, const QString& after, int maxLines)
{
    const QStringList beforeLines = before.split('\n');
    const QStringList afterLines = after.split('\n');
    if (beforeLines.size() > maxLines || afterLines.size() > maxLines)
        return std::nullopt;
    // dtl: Wu, Manber and Myers' O(NP) diff; "huge" mode caps the memory of
    // its path at a fixed size however different the two texts are.
    using Lines = std::vector<QString>;
    dtl::Diff<QString, Lines> diff(Lines(beforeLines.begin(), beforeLines.end()),
                                   Lines(afterLines.begin(), afterLines.end()));
    diff.onHuge();
    diff.compose();
    // dtl lists a changed block's added lines first; people read the
    // removed ones first (as diff and git show them), so each block of
    // changes is reordered: removed, then added.
    std::vector<DiffLine> lines, added;
    for (const auto& [text, info] : diff.getSes().getSequence()) {
        if (info.type == dtl::SES_ADD) {
            added.push_back({DiffLine::Kind::Added, text});
            continue;
        }
        if (info.type == dtl::SES_COMMON) {
            lines.insert(lines.end(), added.begin(), added.end());
            added.clear();
        }
        lines.push_back({info.type == dtl::SES_DELETE ? DiffLine::Kind::Removed : DiffLine::Kind::Same, text});
    }
    lines.insert(lines.end(), added.begin(), added.end());
    return lines;
}

}  // namespace etcdscope
