#include "keys/key_tree_model.h"

#include "decode/value_text.h"

#include <QApplication>
#include <QStyle>

namespace etcdscope::ui {

namespace {

QByteArray bytes(const std::string& s) { return QByteArray(s.data(), qsizetype(s.size())); }
std::string str(const QByteArray& b) { return std::string(b.constData(), std::size_t(b.size())); }

}  // namespace

KeyTreeModel::KeyTreeModel(AdminClient* client, QObject* parent)
    : QAbstractItemModel(parent)
    , client_(client)
    , root_(std::make_unique<Node>())
{
    connect(client_, &AdminClient::rangeDone, this, &KeyTreeModel::onRangeDone);
}

void KeyTreeModel::setRoot(const QByteArray& prefix, qint64 revision)
{
    beginResetModel();
    root_ = std::make_unique<Node>();
    root_->prefix = prefix;
    revision_ = revision;
    readRevision_ = 0;
    pending_.clear();  // late answers for the old tree are dropped
    counting_.clear();
    endResetModel();
}

void KeyTreeModel::setSeparator(char separator)
{
    separator_ = separator;
    setRoot(root_->prefix, revision_);
}

KeyTreeModel::Node* KeyTreeModel::nodeOf(const QModelIndex& index) const
{
    return index.isValid() ? static_cast<Node*>(index.internalPointer()) : root_.get();
}

QModelIndex KeyTreeModel::indexOf(Node* node) const
{
    return node == root_.get() || !node ? QModelIndex() : createIndex(node->row, 0, node);
}

QModelIndex KeyTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    const Node* folder = nodeOf(parent);
    if (row < 0 || column < 0 || column >= ColumnCount || row >= int(folder->children.size()))
        return {};
    return createIndex(row, column, folder->children[std::size_t(row)].get());
}

QModelIndex KeyTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    return indexOf(nodeOf(child)->parent);
}

int KeyTreeModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(nodeOf(parent)->children.size());
}

int KeyTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

bool KeyTreeModel::hasChildren(const QModelIndex& parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return false;
    const Node* node = nodeOf(parent);
    // A folder exists because keys are under it; the root may be empty.
    return node->folder && (!node->children.empty() || !node->complete);
}

bool KeyTreeModel::canFetchMore(const QModelIndex& parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return false;
    const Node* node = nodeOf(parent);
    return node->folder && !node->complete && !node->fetching;
}

void KeyTreeModel::fetchMore(const QModelIndex& parent)
{
    if (!canFetchMore(parent))
        return;
    Node* folder = nodeOf(parent);
    folder->fetching = true;
    RangeQuery query;
    // The whole key space starts at the smallest key, "\0".
    query.key = str(!folder->nextStart.isEmpty() ? folder->nextStart
                    : folder->prefix.isEmpty()   ? QByteArray(1, '\0')
                                                 : folder->prefix);
    query.rangeEnd = prefixRangeEnd(str(folder->prefix));
    query.limit = pageSize_;
    query.revision = revision_;
    query.keysOnly = true;
    pending_.insert(client_->range(std::move(query)), folder);
}

void KeyTreeModel::countKeys(Node* folder)
{
    RangeQuery query;
    query.key = str(folder->prefix);
    query.rangeEnd = prefixRangeEnd(str(folder->prefix));
    query.revision = revision_;
    query.countOnly = true;
    counting_.insert(client_->range(std::move(query)), folder);
}

void KeyTreeModel::onRangeDone(quint64 id, const RangeResultPtr& result)
{
    if (Node* counted = counting_.take(id)) {
        if (result->error.empty()) {
            counted->keys = result->count;
            const QModelIndex at = indexOf(counted).siblingAtColumn(KeysColumn);
            emit dataChanged(at, at, {Qt::DisplayRole});
        }
        return;
    }
    Node* folder = pending_.take(id);
    if (!folder)
        return;  // for a tree that has since started over
    folder->fetching = false;
    if (!result->error.empty()) {
        emit loadFailed(QString::fromStdString(result->error));
        return;
    }
    readRevision_ = std::max<qint64>(readRevision_, result->revision);
    addPage(folder, *result);
}

void KeyTreeModel::addPage(Node* folder, const RangeResult& result)
{
    std::vector<std::unique_ptr<Node>> fresh;
    Node* last = folder->children.empty() ? nullptr : folder->children.back().get();
    for (const KeyValue& kv : result.kvs) {
        const QByteArray key = bytes(kv.key);
        if (!key.startsWith(folder->prefix))
            continue;  // cannot happen with a prefix range; never mis-file a key
        const QByteArray rest = key.mid(folder->prefix.size());
        const qsizetype cut = rest.indexOf(separator_);
        const QByteArray childPrefix = cut >= 0 ? folder->prefix + rest.left(cut + 1) : key;
        Node* previous = fresh.empty() ? last : fresh.back().get();
        if (cut >= 0 && previous && previous->folder && previous->prefix == childPrefix)
            continue;  // more keys of a folder already listed
        auto node = std::make_unique<Node>();
        node->parent = folder;
        node->prefix = childPrefix;
        node->folder = cut >= 0;
        if (!node->folder)
            node->meta = kv;
        fresh.push_back(std::move(node));
    }
    // The next page starts after the last child, skipping the rest of a
    // folder (its keys are read when it is opened).
    const Node* tail = !fresh.empty() ? fresh.back().get() : last;
    if (!result.more || !tail)
        folder->complete = true;
    else
        folder->nextStart = tail->folder ? bytes(prefixRangeEnd(str(tail->prefix))) : tail->prefix + '\0';
    if (tail && tail->folder && folder->nextStart == QByteArray(1, '\0'))
        folder->complete = true;  // the folder reached the end of the key space
    const int first = int(folder->children.size());
    const int added = int(fresh.size());
    if (added > 0) {
        beginInsertRows(indexOf(folder), first, first + added - 1);
        for (auto& node : fresh) {
            node->row = int(folder->children.size());
            folder->children.push_back(std::move(node));
        }
        endInsertRows();
        for (int row = first; row < first + added; ++row) {
            if (folder->children[std::size_t(row)]->folder)
                countKeys(folder->children[std::size_t(row)].get());
        }
    } else if (folder->complete && folder->children.empty()) {
        // An empty folder loses its expander.
        const QModelIndex at = indexOf(folder);
        if (at.isValid())
            emit dataChanged(at, at);
    }
    emit pageLoaded(indexOf(folder), added);
}

QVariant KeyTreeModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const Node* node = nodeOf(index);
    switch (role) {
    case KeyRole:
        return node->prefix;
    case IsFolderRole:
        return node->folder;
    case Qt::DecorationRole:
        if (index.column() != NameColumn)
            return {};
        return QApplication::style()->standardIcon(node->folder ? QStyle::SP_DirIcon : QStyle::SP_FileIcon);
    case Qt::ToolTipRole:
        return escapeKey(node->prefix);
    case Qt::TextAlignmentRole:
        return index.column() == NameColumn ? QVariant() : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    if (index.column() == NameColumn) {
        const QByteArray name = node->prefix.mid(node->parent->prefix.size());
        return name.isEmpty() ? tr("(the prefix itself)") : escapeKey(name);
    }
    if (node->folder)
        return index.column() == KeysColumn && node->keys >= 0 ? QVariant(node->keys) : QVariant();
    switch (index.column()) {
    case ModRevisionColumn: return qint64(node->meta.modRevision);
    case CreateRevisionColumn: return qint64(node->meta.createRevision);
    case VersionColumn: return qint64(node->meta.version);
    case LeaseColumn: return node->meta.lease ? QVariant(QString::number(node->meta.lease, 16)) : QVariant();
    }
    return {};
}

QVariant KeyTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Key");
    case ModRevisionColumn: return tr("Modified");
    case CreateRevisionColumn: return tr("Created");
    case VersionColumn: return tr("Version");
    case LeaseColumn: return tr("Lease");
    case KeysColumn: return tr("Keys");
    }
    return {};
}

}  // namespace etcdscope::ui
