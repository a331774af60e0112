#include "decode/yaml_value.h"

#include "format/event_format.h"

#include <QObject>
#include <QRegularExpression>

#include <yaml.h>

#include <memory>
#include <string>
#include <string_view>

namespace etcdscope {

namespace {

// True when a plain (unquoted) scalar with this text would still be read as a
// string by YAML 1.1 and 1.2 readers: not null, a boolean, a number, a
// sexagesimal number, a timestamp, or a merge/value key.
bool plainReadsAsString(std::string_view text)
{
    if (text.empty())
        return false;
    static const QRegularExpression nonString(
        QStringLiteral(R"(^(?:~|null|true|false|yes|no|on|off|y|n|<<|=|)"
                       R"([-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|)"
                       R"([-+]?0[xob][0-9a-f_]+|)"
                       R"([-+]?\.(?:inf|nan)|)"
                       R"([-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|)"
                       R"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$)"),
        QRegularExpression::CaseInsensitiveOption);
    return !nonString.match(QString::fromUtf8(text.data(), qsizetype(text.size()))).hasMatch();
}

// Rewrites one parsed event for a readable emit: block collections, quotes
// dropped where they change nothing, multi-line strings as literal blocks (the
// emitter falls back to quotes where a style is not allowed).
void restyle(yaml_event_t& event)
{
    switch (event.type) {
    case YAML_MAPPING_START_EVENT: event.data.mapping_start.style = YAML_BLOCK_MAPPING_STYLE; break;
    case YAML_SEQUENCE_START_EVENT: event.data.sequence_start.style = YAML_BLOCK_SEQUENCE_STYLE; break;
    case YAML_SCALAR_EVENT: {
        auto& scalar = event.data.scalar;
        if (scalar.tag || scalar.style == YAML_PLAIN_SCALAR_STYLE)
            break;
        const std::string_view text(reinterpret_cast<const char*>(scalar.value), scalar.length);
        if (text.find('\n') != std::string_view::npos && text.back() != ' ') {
            scalar.style = YAML_LITERAL_SCALAR_STYLE;
        } else if (plainReadsAsString(text)) {
            scalar.style = YAML_ANY_SCALAR_STYLE;
            scalar.plain_implicit = 1;
        }
        break;
    }
    default: break;
    }
}

int appendOutput(void* data, unsigned char* buffer, size_t size)
{
    static_cast<std::string*>(data)->append(reinterpret_cast<const char*>(buffer), size);
    return 1;
}

struct Parser {
    yaml_parser_t parser;
    Parser() { yaml_parser_initialize(&parser); }
    ~Parser() { yaml_parser_delete(&parser); }
};

struct Emitter {
    yaml_emitter_t emitter;
    Emitter() { yaml_emitter_initialize(&emitter); }
    ~Emitter() { yaml_emitter_delete(&emitter); }
};

QString parseProblem(const yaml_parser_t& parser)
{
    const QString problem = QString::fromUtf8(parser.problem ? parser.problem : "unknown problem");
    return QObject::tr("Not YAML: %1 at line %2, column %3.")
        .arg(problem)
        .arg(parser.problem_mark.line + 1)
        .arg(parser.problem_mark.column + 1);
}

}  // namespace

std::variant<YamlText, NotYaml> yamlView(const QByteArray& value, qsizetype maxBytes)
{
    if (value.isEmpty())
        return NotYaml{QObject::tr("The value is empty.")};
    if (value.size() > maxBytes)
        return NotYaml{QObject::tr("The value is larger than %1 MiB; it is not parsed here (the Text tab shows it).")
                           .arg(maxBytes / (1024 * 1024))};
    if (!isValidUtf8(std::string_view(value.constData(), std::size_t(value.size()))))
        return NotYaml{QObject::tr("Binary bytes, not YAML text.")};

    Parser in;
    yaml_parser_set_input_string(&in.parser, reinterpret_cast<const unsigned char*>(value.constData()),
                                 std::size_t(value.size()));
    Emitter out;
    std::string emitted;
    yaml_emitter_set_output(&out.emitter, appendOutput, &emitted);
    yaml_emitter_set_unicode(&out.emitter, 1);
    yaml_emitter_set_indent(&out.emitter, 2);
    yaml_emitter_set_width(&out.emitter, -1);

    int documents = 0;
    bool collectionRoot = false;
    bool atDocumentRoot = false;
    for (;;) {
        yaml_event_t event;
        if (!yaml_parser_parse(&in.parser, &event))
            return NotYaml{parseProblem(in.parser)};
        const yaml_event_type_t type = event.type;
        if (type == YAML_DOCUMENT_START_EVENT) {
            ++documents;
            atDocumentRoot = true;
            event.data.document_start.implicit = 1;  // the emitter writes "---" between documents itself
        } else if (atDocumentRoot) {
            atDocumentRoot = false;
            collectionRoot |= type == YAML_MAPPING_START_EVENT || type == YAML_SEQUENCE_START_EVENT;
        }
        if (type == YAML_DOCUMENT_END_EVENT)
            event.data.document_end.implicit = 1;
        restyle(event);
        // The emitter owns the event from here, emitted or not.
        if (!yaml_emitter_emit(&out.emitter, &event))
            return NotYaml{QObject::tr("Not shown as YAML: %1.")
                               .arg(QString::fromUtf8(out.emitter.problem ? out.emitter.problem : "emitter error"))};
        if (type == YAML_STREAM_END_EVENT)
            break;
    }
    if (!collectionRoot)
        return NotYaml{QObject::tr("Plain text: YAML would read it as a single value, not a mapping or a list.")};
    if (emitted.ends_with("...\n"))
        emitted.resize(emitted.size() - 4);
    return YamlText{QString::fromUtf8(emitted.data(), qsizetype(emitted.size())), documents};
}

}  // namespace etcdscope
