#include "decode/kubernetes/object_changes.h"

#include <algorithm>

namespace etcdscope::kubernetes {

namespace {

using Json = nlohmann::ordered_json;

// One step of a path: an object member, or a list item (by its name when it has one).
struct Step {
    std::string key;      // member name; empty for a list item
    std::size_t index = 0;
    std::string name;     // the item's "name", if any
};
using Path = std::vector<Step>;

std::string pathText(const Path& path)
{
    std::string out;
    for (const Step& step : path) {
        if (!step.key.empty()) {
            if (!out.empty())
                out += '.';
            out += step.key;
        } else {
            out += "[" + (step.name.empty() ? std::to_string(step.index) : step.name) + "]";
        }
    }
    return out;
}

bool isNoise(const Path& path)
{
    if (path.size() != 2 || path[0].key != "metadata")
        return false;
    return path[1].key == "resourceVersion" || path[1].key == "managedFields" || path[1].key == "generation";
}

std::string itemName(const Json& item)
{
    if (item.is_object()) {
        const auto it = item.find("name");
        if (it != item.end() && it->is_string())
            return it->get<std::string>();
    }
    return {};
}

bool namedList(const Json& list)
{
    if (!list.is_array() || list.empty())
        return false;
    std::vector<std::string> names;
    for (const Json& item : list) {
        std::string name = itemName(item);
        if (name.empty())
            return false;
        names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return std::adjacent_find(names.begin(), names.end()) == names.end();
}

class Differ {
public:
    std::vector<std::pair<Path, std::pair<const Json*, const Json*>>> found;
    bool noise = false;

    void compare(const Json* a, const Json* b, Path& path)
    {
        if (a && b && *a == *b)
            return;
        if (isNoise(path)) {
            noise = true;
            return;
        }
        if (a && b && a->is_object() && b->is_object()) {
            for (const auto& [key, value] : a->items()) {
                path.push_back({key, 0, {}});
                const auto other = b->find(key);
                compare(&value, other == b->end() ? nullptr : &*other, path);
                path.pop_back();
            }
            for (const auto& [key, value] : b->items()) {
                if (a->contains(key))
                    continue;
                path.push_back({key, 0, {}});
                compare(nullptr, &value, path);
                path.pop_back();
            }
            return;
        }
        if (a && b && a->is_array() && b->is_array()) {
            if ((namedList(*a) || a->empty()) && (namedList(*b) || b->empty()) && !(a->empty() && b->empty())) {
                compareByName(*a, *b, path);
                return;
            }
            if (a->size() == b->size()) {
                for (std::size_t i = 0; i < a->size(); ++i) {
                    path.push_back({{}, i, {}});
                    compare(&(*a)[i], &(*b)[i], path);
                    path.pop_back();
                }
                return;
            }
        }
        found.push_back({path, {a, b}});
    }

private:
    void compareByName(const Json& a, const Json& b, Path& path)
    {
        auto byName = [](const Json& list, const std::string& name) -> const Json* {
            for (const Json& item : list) {
                if (itemName(item) == name)
                    return &item;
            }
            return nullptr;
        };
        for (std::size_t i = 0; i < a.size(); ++i) {
            const std::string name = itemName(a[i]);
            path.push_back({{}, i, name});
            compare(&a[i], byName(b, name), path);
            path.pop_back();
        }
        for (std::size_t i = 0; i < b.size(); ++i) {
            const std::string name = itemName(b[i]);
            if (byName(a, name))
                continue;
            path.push_back({{}, i, name});
            compare(nullptr, &b[i], path);
            path.pop_back();
        }
    }
};

// Whether the item key of a fieldsV1 list entry ("k:{\"name\":\"web\"}", "i:0",
// "v:\"x\"") names this step's item.
bool listKeyMatches(const std::string& fieldsKey, const Step& step)
{
    if (fieldsKey.rfind("i:", 0) == 0)
        return fieldsKey.substr(2) == std::to_string(step.index);
    if (fieldsKey.rfind("k:", 0) == 0) {
        const Json key = Json::parse(fieldsKey.substr(2), nullptr, false);
        if (key.is_discarded() || !key.is_object())
            return false;
        const auto name = key.find("name");
        return step.name.empty() || (name != key.end() && name->is_string() && name->get<std::string>() == step.name);
    }
    return fieldsKey.rfind("v:", 0) == 0;
}

// Whether a manager's fieldsV1 set covers `path`: the path, a field above it
// (a manager that set a whole map or struct), or a field inside it.
bool owns(const Json& fields, const Path& path, std::size_t at = 0)
{
    if (!fields.is_object())
        return false;
    if (at == path.size())
        return true;
    const Step& step = path[at];
    for (const auto& [key, value] : fields.items()) {
        const bool matches = step.key.empty() ? listKeyMatches(key, step) : key == "f:" + step.key;
        if (!matches)
            continue;
        if (value.is_object() && value.empty())  // a leaf: owned whole
            return true;
        if (owns(value, path, at + 1))
            return true;
    }
    return false;
}

std::vector<std::string> managersOf(const Json& object, const Path& path)
{
    std::vector<std::string> out;
    const Json* managed = nullptr;
    if (object.is_object() && object.contains("metadata") && object["metadata"].is_object() &&
        object["metadata"].contains("managedFields"))
        managed = &object["metadata"]["managedFields"];
    if (!managed || !managed->is_array())
        return out;
    for (const Json& entry : *managed) {
        if (!entry.is_object() || !entry.contains("fieldsV1") || !owns(entry["fieldsV1"], path))
            continue;
        std::string manager = entry.value("manager", std::string("?"));
        const std::string subresource = entry.value("subresource", std::string());
        if (!subresource.empty())
            manager += " (" + subresource + ")";
        if (std::find(out.begin(), out.end(), manager) == out.end())
            out.push_back(std::move(manager));
    }
    return out;
}

std::int64_t generationOf(const Json& object)
{
    if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object())
        return 0;
    const Json& metadata = object["metadata"];
    const auto it = metadata.find("generation");
    return it != metadata.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

}  // namespace

ObjectChanges objectChanges(const nlohmann::ordered_json& before, const nlohmann::ordered_json& after)
{
    ObjectChanges out;
    Differ differ;
    Path path;
    differ.compare(&before, &after, path);
    for (const auto& [where, values] : differ.found) {
        FieldChange change;
        change.path = pathText(where);
        if (values.first)
            change.before = values.first->dump(-1, ' ', false, Json::error_handler_t::replace);
        if (values.second)
            change.after = values.second->dump(-1, ' ', false, Json::error_handler_t::replace);
        change.managers = managersOf(values.second ? after : before, where);
        out.changes.push_back(std::move(change));
    }
    out.generationBefore = generationOf(before);
    out.generationAfter = generationOf(after);
    out.onlyNoise = out.changes.empty() && differ.noise;
    return out;
}

std::string describeChanges(const ObjectChanges& changes)
{
    constexpr std::size_t kShownValue = 120;
    auto shorten = [](const std::string& s) { return s.size() > kShownValue ? s.substr(0, kShownValue) + "…" : s; };
    std::string out;
    for (const FieldChange& c : changes.changes) {
        std::string owners;
        for (const std::string& m : c.managers)
            owners += (owners.empty() ? "" : ", ") + m;
        out += (owners.empty() ? std::string("(no field manager)") : owners) + ": " + c.path + " ";
        if (c.before.empty())
            out += "added " + shorten(c.after);
        else if (c.after.empty())
            out += "removed (was " + shorten(c.before) + ")";
        else
            out += shorten(c.before) + " \u2192 " + shorten(c.after);
        out += "\n";
    }
    if (changes.generationAfter != changes.generationBefore)
        out += "generation " + std::to_string(changes.generationBefore) + " \u2192 " +
               std::to_string(changes.generationAfter) + "\n";
    if (changes.onlyNoise)
        out += "Only what every write changes (resourceVersion, managedFields) differs.\n";
    return out;
}

}  // namespace etcdscope::kubernetes
