#include "decode/kubernetes/kubernetes_schema.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/stubs/logging.h>

#include <QLoggingCategory>

#include <map>
#include <set>
#include <sstream>

namespace etcdscope::kubernetes {

extern const char kSchemaTable[];

Q_LOGGING_CATEGORY(lcKubernetes, "etcdscope.kubernetes", QtInfoMsg)

namespace {

using google::protobuf::DescriptorProto;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptorProto;

const std::map<std::string, FieldDescriptorProto::Type, std::less<>>& scalarTypes()
{
    // Text is read as bytes: Kubernetes does not promise valid UTF-8, and
    // the JSON writer replaces what is not (as Go's does).
    static const std::map<std::string, FieldDescriptorProto::Type, std::less<>> types = {
        {"string", FieldDescriptorProto::TYPE_BYTES},   {"bytes", FieldDescriptorProto::TYPE_BYTES},
        {"bool", FieldDescriptorProto::TYPE_BOOL},       {"int32", FieldDescriptorProto::TYPE_INT32},
        {"int64", FieldDescriptorProto::TYPE_INT64},     {"uint32", FieldDescriptorProto::TYPE_UINT32},
        {"uint64", FieldDescriptorProto::TYPE_UINT64},   {"double", FieldDescriptorProto::TYPE_DOUBLE},
        {"float", FieldDescriptorProto::TYPE_FLOAT},     {"sint32", FieldDescriptorProto::TYPE_SINT32},
        {"sint64", FieldDescriptorProto::TYPE_SINT64},   {"fixed32", FieldDescriptorProto::TYPE_FIXED32},
        {"fixed64", FieldDescriptorProto::TYPE_FIXED64},
    };
    return types;
}

Special specialNamed(const std::string& name)
{
    static const std::map<std::string, Special, std::less<>> specials = {
        {"time", Special::Time},
        {"microtime", Special::MicroTime},
        {"duration", Special::Duration},
        {"quantity", Special::Quantity},
        {"intorstring", Special::IntOrString},
        {"raw", Special::Raw},
        {"list", Special::List},
        {"schemaorarray", Special::SchemaOrArray},
        {"schemaorbool", Special::SchemaOrBool},
        {"schemaorstringarray", Special::SchemaOrStringArray},
        {"timestamp", Special::Timestamp},
    };
    const auto it = specials.find(name);
    return it == specials.end() ? Special::None : it->second;
}

std::string packageOf(const std::string& fullName) { return fullName.substr(0, fullName.rfind('.')); }
std::string shortName(const std::string& fullName) { return fullName.substr(fullName.rfind('.') + 1); }

// One table line's field, as read.
struct TableField {
    int number = 0;
    char label = 'o';
    std::string type;
    std::string json;
    std::string flags;
};

struct TableMessage {
    std::string name;
    std::string special;
    std::vector<TableField> fields;
};

}  // namespace

std::string packageFor(std::string_view apiVersion)
{
    const std::size_t slash = apiVersion.find('/');
    if (slash == std::string_view::npos)
        return "k8s.io.api.core." + std::string(apiVersion);
    const std::string group(apiVersion.substr(0, slash));
    const std::string version(apiVersion.substr(slash + 1));
    if (group == "apiextensions.k8s.io")
        return "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions." + version;
    if (group == "apiregistration.k8s.io")
        return "k8s.io.kube_aggregator.pkg.apis.apiregistration." + version;
    if (group == "internal.apiserver.k8s.io")
        return "k8s.io.api.apiserverinternal." + version;
    if (group == "meta.k8s.io")
        return "k8s.io.apimachinery.pkg.apis.meta." + version;
    // "rbac.authorization.k8s.io" → rbac, "flowcontrol.apiserver.k8s.io" → flowcontrol, "apps" → apps
    return "k8s.io.api." + group.substr(0, group.find('.')) + "." + version;
}

const Schema& Schema::builtIn()
{
    static const Schema schema(kSchemaTable);
    return schema;
}

namespace {

// protobuf's own log lines (a map key that is not UTF-8 in a hostile value,
// say) are for the engineer: debug level, never on the person's terminal.
void logToQt(google::protobuf::LogLevel level, const char* file, int line, const std::string& message)
{
    if (level >= google::protobuf::LOGLEVEL_FATAL)
        qCCritical(lcKubernetes).noquote() << file << line << QString::fromStdString(message);
    else
        qCDebug(lcKubernetes).noquote() << file << line << QString::fromStdString(message);
}

}  // namespace

Schema::Schema(std::string_view table)
{
    google::protobuf::SetLogHandler(&logToQt);
    // Read the table.
    std::vector<TableMessage> messages;
    std::istringstream lines{std::string(table)};
    std::string line;
    int lineNumber = 0;
    while (std::getline(lines, line)) {
        ++lineNumber;
        std::istringstream words(line);
        std::string tag;
        words >> tag;
        if (tag == "M") {
            TableMessage m;
            words >> m.name >> m.special;
            messages.push_back(std::move(m));
        } else if (tag == "F" && !messages.empty()) {
            TableField f;
            std::string label;
            words >> f.number >> label >> f.type >> f.json >> f.flags;
            if (!words || label.size() != 1 || f.number <= 0) {
                errors_.push_back("schema line " + std::to_string(lineNumber) + ": not a field: " + line);
                continue;
            }
            f.label = label[0];
            messages.back().fields.push_back(std::move(f));
        } else if (!tag.empty()) {
            errors_.push_back("schema line " + std::to_string(lineNumber) + ": unknown line: " + line);
        }
    }

    // One file per package, its dependencies the packages its fields name.
    std::map<std::string, FileDescriptorProto> files;
    std::map<std::string, std::set<std::string>> dependencies;
    for (const TableMessage& m : messages) {
        const std::string package = packageOf(m.name);
        FileDescriptorProto& file = files[package];
        file.set_name(package + ".proto");
        file.set_package(package);
        file.set_syntax("proto2");
        DescriptorProto* message = file.add_message_type();
        message->set_name(shortName(m.name));
        for (const TableField& f : m.fields) {
            FieldDescriptorProto* field = message->add_field();
            field->set_name("f" + std::to_string(f.number));
            field->set_number(f.number);
            field->set_label(f.label == 'o' ? FieldDescriptorProto::LABEL_OPTIONAL : FieldDescriptorProto::LABEL_REPEATED);
            const auto scalar = scalarTypes().find(f.type);
            auto setType = [&](FieldDescriptorProto* target) {
                if (scalar != scalarTypes().end()) {
                    target->set_type(scalar->second);
                } else {
                    target->set_type(FieldDescriptorProto::TYPE_MESSAGE);
                    target->set_type_name("." + f.type);
                    if (packageOf(f.type) != package)
                        dependencies[package].insert(packageOf(f.type));
                }
            };
            if (f.label != 'm') {
                setType(field);
                continue;
            }
            // map<string, T>: a repeated entry message, as protoc writes it.
            const std::string entryName = "F" + std::to_string(f.number) + "Entry";
            DescriptorProto* entry = message->add_nested_type();
            entry->set_name(entryName);
            entry->mutable_options()->set_map_entry(true);
            FieldDescriptorProto* key = entry->add_field();
            key->set_name("key");
            key->set_number(1);
            key->set_label(FieldDescriptorProto::LABEL_OPTIONAL);
            key->set_type(FieldDescriptorProto::TYPE_STRING);  // protobuf allows no bytes keys
            FieldDescriptorProto* value = entry->add_field();
            value->set_name("value");
            value->set_number(2);
            value->set_label(FieldDescriptorProto::LABEL_OPTIONAL);
            setType(value);
            field->set_type(FieldDescriptorProto::TYPE_MESSAGE);
            field->set_type_name("." + m.name + "." + entryName);
        }
    }
    for (auto& [package, file] : files) {
        for (const std::string& dependency : dependencies[package])
            file.add_dependency(dependency + ".proto");
        if (!database_.Add(file))
            errors_.push_back("schema: package " + package + " could not be added");
    }
    pool_ = std::make_unique<google::protobuf::DescriptorPool>(&database_);
    factory_ = std::make_unique<google::protobuf::DynamicMessageFactory>(pool_.get());

    for (const TableMessage& m : messages) {
        const google::protobuf::Descriptor* descriptor = pool_->FindMessageTypeByName(m.name);
        if (!descriptor) {
            errors_.push_back("schema: " + m.name + " did not build");
            continue;
        }
        MessageInfo& info = infos_[descriptor];
        info.special = specialNamed(m.special);
        for (const TableField& f : m.fields) {
            FieldInfo field;
            field.field = descriptor->FindFieldByNumber(f.number);
            field.json = f.json;
            field.omitEmpty = f.flags.find('e') != std::string::npos;
            field.pointer = f.flags.find('p') != std::string::npos;
            field.inlined = f.flags.find('i') != std::string::npos;
            field.base64 = f.type == "bytes";
            if (field.field)
                info.fields.push_back(std::move(field));
        }
    }
}

const google::protobuf::Descriptor* Schema::messageFor(std::string_view apiVersion, std::string_view kind) const
{
    if (apiVersion.empty() || kind.empty())
        return nullptr;
    if (const auto* found = message(packageFor(apiVersion) + "." + std::string(kind)))
        return found;
    // Options, Status and the discovery types are meta/v1's, served in every group.
    return message("k8s.io.apimachinery.pkg.apis.meta.v1." + std::string(kind));
}

const google::protobuf::Descriptor* Schema::message(const std::string& fullName) const
{
    const google::protobuf::Descriptor* descriptor = pool_->FindMessageTypeByName(fullName);
    return descriptor && infos_.count(descriptor) ? descriptor : nullptr;
}

const MessageInfo& Schema::info(const google::protobuf::Descriptor* message) const
{
    static const MessageInfo none;
    const auto it = infos_.find(message);
    return it == infos_.end() ? none : it->second;
}

}  // namespace etcdscope::kubernetes
