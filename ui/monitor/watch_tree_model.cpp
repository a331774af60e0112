#include "monitor/watch_tree_model.h"

#include "decode/kubernetes_value.h"
#include "decode/value_text.h"
#include "shared/status_colours.h"

#include <QApplication>
#include <QDateTime>
#include <QFont>
#include <QPalette>

#include <algorithm>
#include <map>
#include <set>

namespace etcdscope::ui {

std::vector<QByteArray> keySegments(const QByteArray& key)
{
    std::vector<QByteArray> segments;
    qsizetype start = 0;
    if (key.startsWith('/')) {
        segments.emplace_back("/");
        start = 1;
    }
    while (start <= key.size()) {
        const qsizetype slash = key.indexOf('/', start);
        if (slash < 0) {
            if (start < key.size())
                segments.push_back(key.mid(start));
            break;
        }
        segments.push_back(key.mid(start, slash - start) + '/');
        start = slash + 1;
    }
    return segments;
}

// A row under a watch: a '/' segment. It may be a key itself, a group of
// longer keys, or both ("a" and "a/b").
struct WatchTreeModel::Node {
    Node* parent = nullptr;
    WatchRoot* root = nullptr;
    int row = 0;                   // position under parent (kept exact)
    QByteArray segment;            // this level's part of the key
    QByteArray fullPath;           // concatenated segments = key or key prefix
    std::vector<std::unique_ptr<Node>> children;
    std::unordered_map<QByteArray, Node*> childBySegment;
    bool isKey = false;
    bool deleted = false;
    QByteArray value;
    qint64 version = 0;
    qint64 modRevision = 0;
    qint64 events = 0;
    bool staged = false;           // made by the batch being applied; the views do not know it yet
    quint64 changedInBatch = 0;    // the last batch that changed it (see applyRecords)
};

struct WatchTreeModel::WatchRoot {
    WatchDefinition definition;
    WatchState state = WatchState::Pending;
    QString reason;
    Node top;                      // its children are the first segments
    qint64 events = 0;
    qint64 lastRevision = 0;
    qint64 gaps = 0;
    WatchInfo info;                // the engine's diagnostics, latest known
};

// The part of `key` below the watch root's own path (its prefix, if any).
QByteArray WatchTreeModel::relativeKey(const Node& top, const QByteArray& key)
{
    return !top.fullPath.isEmpty() && key.startsWith(top.fullPath) ? key.mid(top.fullPath.size()) : key;
}

WatchTreeModel::WatchTreeModel(QObject* parent) : QAbstractItemModel(parent) {}
WatchTreeModel::~WatchTreeModel() = default;

void WatchTreeModel::addWatch(const WatchDefinition& watch)
{
    const int row = int(roots_.size());
    beginInsertRows({}, row, row);
    auto root = std::make_unique<WatchRoot>();
    root->definition = watch;
    root->lastRevision = watch.lastRevision;
    root->top.root = root.get();
    root->top.row = row;
    // Under a prefix watch that ends in '/', keys are shown relative to the
    // prefix: the root already says "prefix services/".
    const WatchSpec& spec = watch.spec;
    const QByteArray prefix = QByteArray::fromStdString(spec.key);
    if (!spec.rangeEnd.empty() && spec.rangeEnd == prefixRangeEnd(spec.key) && prefix.endsWith('/'))
        root->top.fullPath = prefix;
    roots_.push_back(std::move(root));
    endInsertRows();
}

void WatchTreeModel::removeWatch(WatchHandle watch)
{
    for (std::size_t i = 0; i < roots_.size(); ++i) {
        if (roots_[i]->definition.handle != watch)
            continue;
        beginRemoveRows({}, int(i), int(i));
        roots_.erase(roots_.begin() + qsizetype(i));
        for (std::size_t j = i; j < roots_.size(); ++j)
            roots_[j]->top.row = int(j);
        endRemoveRows();
        return;
    }
}

WatchTreeModel::WatchRoot* WatchTreeModel::rootOf(WatchHandle watch) const
{
    for (const auto& root : roots_)
        if (root->definition.handle == watch)
            return root.get();
    return nullptr;
}

void WatchTreeModel::setWatchState(WatchHandle watch, WatchState state, const QString& reason)
{
    WatchRoot* root = rootOf(watch);
    if (!root)
        return;
    root->state = state;
    root->reason = reason;
    const QModelIndex first = indexOf(&root->top, 0);
    emit dataChanged(first, first.siblingAtColumn(ColumnCount - 1));
}

void WatchTreeModel::setWatchInfo(const WatchInfo& info)
{
    WatchRoot* root = rootOf(info.handle);
    if (!root)
        return;
    root->info = info;
    const QModelIndex first = indexOf(&root->top, 0);
    emit dataChanged(first, first, {Qt::ToolTipRole});
}

void WatchTreeModel::setWatchNotify(WatchHandle watch, bool notify)
{
    if (WatchRoot* root = rootOf(watch)) {
        root->definition.notify = notify;
        const QModelIndex first = indexOf(&root->top, 0);
        emit dataChanged(first, first);
    }
}

WatchTreeModel::Node* WatchTreeModel::findOrStagePath(Node* node, const QByteArray& key, Staged& staged)
{
    for (const QByteArray& segment : keySegments(relativeKey(*node, key))) {
        auto found = node->childBySegment.find(segment);
        if (found != node->childBySegment.end()) {
            node = found->second;
            continue;
        }
        // Children stay in arrival order, so existing rows keep their index
        // and a parent's new children are one contiguous range at its end.
        auto child = std::make_unique<Node>();
        child->parent = node;
        child->root = node->root;
        child->segment = segment;
        child->fullPath = node->fullPath + segment;
        child->staged = true;
        Node* raw = child.get();
        node->childBySegment.emplace(segment, raw);
        if (node->staged) {
            // Under a row the views do not know yet: it comes in with it.
            child->row = int(node->children.size());
            node->children.push_back(std::move(child));
        } else {
            auto& waiting = staged[node];
            child->row = int(node->children.size() + waiting.size());
            waiting.push_back(std::move(child));
        }
        node = raw;
    }
    return node;
}

void WatchTreeModel::insertStaged(Staged& staged)
{
    for (auto& [parent, children] : staged) {
        const int first = int(parent->children.size());
        beginInsertRows(indexOf(parent, 0), first, first + int(children.size()) - 1);
        for (auto& child : children)
            parent->children.push_back(std::move(child));
        endInsertRows();
    }
}

void WatchTreeModel::applyRecords(const std::vector<EventRecord>& records)
{
    // New keys are staged and inserted at the end, one insert per parent
    // row: a catch-up that brings 100,000 new keys under one prefix is one
    // rowsInserted, not 100,000.
    Staged staged;
    // Rows the views knew that this batch changed, each once (the stamp).
    const quint64 batch = ++batchStamp_;
    std::vector<Node*> changed;
    const auto markChanged = [&changed, batch](Node* node) {
        if (node->changedInBatch != batch) {
            node->changedInBatch = batch;
            changed.push_back(node);
        }
    };
    std::set<WatchRoot*> changedRoots;
    for (const EventRecord& record : records) {
        WatchRoot* root = rootOf(record.watch);
        if (!root)
            continue;
        changedRoots.insert(root);
        if (record.kind == RecordKind::Gap) {
            ++root->gaps;
            continue;
        }
        if (record.kind == RecordKind::Note)
            continue;
        ++root->events;
        root->lastRevision = std::max(root->lastRevision, record.modRevision);
        Node* node = findOrStagePath(&root->top, record.key, staged);
        node->isKey = true;
        node->deleted = record.kind == RecordKind::Delete;
        node->value = node->deleted ? QByteArray() : record.value;
        node->version = record.version;
        node->modRevision = record.modRevision;
        ++node->events;
        if (!node->staged)
            markChanged(node);
        // Groups above count the events below them.
        for (Node* up = node->parent; up && up != &root->top; up = up->parent) {
            ++up->events;
            up->modRevision = std::max(up->modRevision, record.modRevision);
            if (!up->staged)
                markChanged(up);
        }
    }
    for (auto& [parent, children] : staged)
        for (auto& child : children)
            unstage(child.get());
    insertStaged(staged);
    // One dataChanged per run of adjacent changed rows under one parent
    // (1,000 keys changed in a batch are often one signal), whole rows,
    // display roles only; new rows are read when shown.
    const QList<int> roles{Qt::DisplayRole, Qt::ToolTipRole, Qt::FontRole, Qt::ForegroundRole};
    std::sort(changed.begin(), changed.end(), [](const Node* a, const Node* b) {
        return a->parent != b->parent ? a->parent < b->parent : a->row < b->row;
    });
    for (std::size_t first = 0; first < changed.size();) {
        std::size_t last = first;
        while (last + 1 < changed.size() && changed[last + 1]->parent == changed[first]->parent
               && changed[last + 1]->row == changed[last]->row + 1)
            ++last;
        emit dataChanged(indexOf(changed[first], 0), indexOf(changed[last], ColumnCount - 1), roles);
        first = last + 1;
    }
    for (WatchRoot* root : changedRoots)
        emit dataChanged(indexOf(&root->top, 0), indexOf(&root->top, ColumnCount - 1), roles);
}

void WatchTreeModel::unstage(Node* node)
{
    node->staged = false;
    for (auto& child : node->children)
        unstage(child.get());
}

QModelIndex WatchTreeModel::indexOfWatch(WatchHandle watch) const
{
    const WatchRoot* root = rootOf(watch);
    return root ? indexOf(&root->top, 0) : QModelIndex();
}

QModelIndex WatchTreeModel::indexOfKey(WatchHandle watch, const QByteArray& key) const
{
    const WatchRoot* root = rootOf(watch);
    if (!root)
        return {};
    const Node* node = &root->top;
    for (const QByteArray& segment : keySegments(relativeKey(*node, key))) {
        auto found = node->childBySegment.find(segment);
        if (found == node->childBySegment.end())
            return {};
        node = found->second;
    }
    return indexOf(node, 0);
}

std::vector<WatchHandle> WatchTreeModel::watches() const
{
    std::vector<WatchHandle> handles;
    for (const auto& root : roots_)
        handles.push_back(root->definition.handle);
    return handles;
}

const WatchDefinition* WatchTreeModel::definition(WatchHandle watch) const
{
    const WatchRoot* root = rootOf(watch);
    return root ? &root->definition : nullptr;
}

// --- QAbstractItemModel ---------------------------------------------------------

WatchTreeModel::Node* WatchTreeModel::nodeOf(const QModelIndex& index) const
{
    return index.isValid() ? static_cast<Node*>(index.internalPointer()) : nullptr;
}

QModelIndex WatchTreeModel::indexOf(const Node* node, int column) const
{
    if (!node)
        return {};
    return createIndex(node->row, column, const_cast<Node*>(node));
}

QModelIndex WatchTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid()) {
        if (row >= int(roots_.size()))
            return {};
        return createIndex(row, column, &roots_[std::size_t(row)]->top);
    }
    const Node* node = nodeOf(parent);
    if (!node || row >= int(node->children.size()))
        return {};
    return createIndex(row, column, node->children[std::size_t(row)].get());
}

QModelIndex WatchTreeModel::parent(const QModelIndex& child) const
{
    const Node* node = nodeOf(child);
    if (!node || !node->parent)
        return {};
    return indexOf(node->parent, 0);
}

int WatchTreeModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid())
        return int(roots_.size());
    if (parent.column() != 0)
        return 0;
    const Node* node = nodeOf(parent);
    return node ? int(node->children.size()) : 0;
}

int WatchTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant WatchTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Watch / key");
    case ValueColumn: return tr("Value");
    case VersionColumn: return tr("Version");
    case RevisionColumn: return tr("Mod rev");
    case EventsColumn: return tr("Events");
    }
    return {};
}

QVariant WatchTreeModel::data(const QModelIndex& index, int role) const
{
    const Node* node = nodeOf(index);
    if (!node)
        return {};
    if (!node->parent)
        return watchData(*node->root, index.column(), role);
    return nodeData(*node, index.column(), role);
}

QString briefReason(const QString& reason)
{
    QString brief = reason;
    const qsizetype desc = brief.lastIndexOf(QLatin1String("desc = "));
    if (desc >= 0)
        brief = brief.mid(desc + 7);
    if (brief.startsWith(QLatin1String("etcdserver: ")))
        brief = brief.mid(12);
    return brief.isEmpty() ? reason : brief;
}

QVariant WatchTreeModel::watchData(const WatchRoot& root, int column, int role) const
{
    switch (role) {
    case WatchRole: return qint64(root.definition.handle);
    case IsWatchRole: return true;
    case PrefixRole: return QByteArray::fromStdString(root.definition.spec.key);
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn: return root.definition.label;
        case ValueColumn:
            return root.reason.isEmpty() || root.state == WatchState::Live
                       ? QString::fromLatin1(watchStateName(root.state))
                       : QStringLiteral("%1: %2").arg(watchStateName(root.state), briefReason(root.reason));
        case RevisionColumn: return root.lastRevision > 0 ? QVariant(root.lastRevision) : QVariant();
        case EventsColumn: return root.events;
        }
        return {};
    case Qt::FontRole: {
        QFont font;
        font.setBold(true);
        return font;
    }
    case Qt::ForegroundRole:
        if (column == ValueColumn && root.state == WatchState::Cancelled)
            return statusColour(StatusTone::Bad, QApplication::palette());
        if (column == ValueColumn && root.state != WatchState::Live)
            return QApplication::palette().color(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::ToolTipRole: {
        const WatchSpec& spec = root.definition.spec;
        QString tip = QStringLiteral("<b>%1</b><br>").arg(root.definition.label.toHtmlEscaped());
        tip += tr("State: %1").arg(watchStateName(root.state));
        if (!root.reason.isEmpty())
            tip += " — " + root.reason.toHtmlEscaped();
        tip += "<br>" + tr("Start revision: %1").arg(spec.startRevision > 0 ? QString::number(spec.startRevision)
                                                                             : tr("now"));
        tip += "<br>" + tr("Last revision seen: %1").arg(root.lastRevision);
        const WatchInfo& info = root.info;
        if (info.serverWatchId >= 0)
            tip += "<br>" + tr("Watch ID on the stream: %1").arg(info.serverWatchId);
        if (info.nextRevision > 0)
            tip += "<br>" + tr("Next revision (resumes from): %1").arg(info.nextRevision);
        if (info.createdRevision > 0)
            tip += "<br>" + tr("Created at revision: %1").arg(info.createdRevision);
        tip += "<br>" + tr("Last progress revision: %1")
                            .arg(info.lastProgressRevision > 0 ? QString::number(info.lastProgressRevision) : tr("none yet"));
        if (info.compactRevision > 0)
            tip += "<br>" + tr("Compacted at revision: %1").arg(info.compactRevision);
        tip += "<br>" + tr("Events: %1, gaps: %2").arg(root.events).arg(root.gaps);
        if (root.definition.notify)
            tip += "<br>" + tr("Desktop notifications on");
        return tip;
    }
    }
    return {};
}

QVariant WatchTreeModel::nodeData(const Node& node, int column, int role) const
{
    switch (role) {
    case WatchRole: return qint64(node.root->definition.handle);
    case IsWatchRole: return false;
    case KeyRole: return node.isKey ? node.fullPath : QByteArray();
    case PrefixRole: return node.fullPath;
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn: return valuePreview(node.segment, 200);
        case ValueColumn:
            if (!node.isKey)
                return QVariant();
            return node.deleted ? tr("(deleted)") : valuePreview(node.fullPath, node.value, 120);
        case VersionColumn: return node.isKey && !node.deleted ? QVariant(node.version) : QVariant();
        case RevisionColumn: return node.modRevision > 0 ? QVariant(node.modRevision) : QVariant();
        case EventsColumn: return node.events;
        }
        return {};
    case Qt::FontRole:
        if (node.deleted) {
            QFont font;
            font.setStrikeOut(true);
            font.setItalic(true);
            return font;
        }
        return {};
    case Qt::ForegroundRole:
        if (node.deleted)
            return QApplication::palette().color(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::ToolTipRole:
        if (!node.isKey)
            return tr("%1 events under %2").arg(node.events).arg(valuePreview(node.fullPath, 200));
        return tr("%1\nversion %2, mod revision %3, %4 events%5")
            .arg(valuePreview(node.fullPath, 400))
            .arg(node.version)
            .arg(node.modRevision)
            .arg(node.events)
            .arg(node.deleted ? tr(", deleted") : QString());
    }
    return {};
}

}  // namespace etcdscope::ui
