#include "monitor/revision_group_model.h"

#include "monitor/event_timeline_model.h"

#include <QSet>

namespace etcdscope::ui {

RevisionGroupModel::RevisionGroupModel(QObject* parent) : QAbstractItemModel(parent) {}

void RevisionGroupModel::setSourceModel(QAbstractItemModel* source)
{
    if (source_)
        disconnect(source_, nullptr, this, nullptr);
    source_ = source;
    if (source_) {
        connect(source_, &QAbstractItemModel::rowsInserted, this, &RevisionGroupModel::onRowsInserted);
        connect(source_, &QAbstractItemModel::rowsAboutToBeRemoved, this,
                &RevisionGroupModel::onRowsAboutToBeRemoved);
        connect(source_, &QAbstractItemModel::rowsRemoved, this, &RevisionGroupModel::onRowsRemoved);
        connect(source_, &QAbstractItemModel::modelReset, this, &RevisionGroupModel::rebuild);
        connect(source_, &QAbstractItemModel::layoutChanged, this, &RevisionGroupModel::rebuild);
        connect(source_, &QAbstractItemModel::rowsMoved, this, &RevisionGroupModel::rebuild);
        connect(source_, &QAbstractItemModel::dataChanged, this, [this] {
            if (!groups_.empty())
                emit dataChanged(index(0, 0), index(int(groups_.size()) - 1, columnCount() - 1));
        });
    }
    rebuild();
}

qint64 RevisionGroupModel::revisionAt(int sourceRow) const
{
    return source_->index(sourceRow, 0).data(EventTimelineModel::RevisionRole).toLongLong();
}

void RevisionGroupModel::rebuild()
{
    beginResetModel();
    groups_.clear();
    const int rows = source_ ? source_->rowCount() : 0;
    for (int row = 0; row < rows; ++row) {
        const qint64 revision = revisionAt(row);
        if (!groups_.empty() && groups_.back().revision == revision && revision > 0)
            ++groups_.back().count;
        else
            groups_.push_back({row, 1, revision});
    }
    endResetModel();
}

void RevisionGroupModel::onRowsInserted(const QModelIndex& parent, int first, int last)
{
    if (parent.isValid())
        return;
    const bool appended = groups_.empty() ? first == 0
                                          : first == groups_.back().firstSourceRow + groups_.back().count;
    if (!appended) {
        rebuild();
        return;
    }
    int row = first;
    // Rows that continue the last group's revision (a transaction split
    // across flushes) become its children.
    if (!groups_.empty() && groups_.back().revision > 0) {
        int extend = 0;
        while (row + extend <= last && revisionAt(row + extend) == groups_.back().revision)
            ++extend;
        if (extend > 0) {
            // A lone event shows no children; once joined it shows them all.
            Group& tail = groups_.back();
            const QModelIndex tailIndex = index(int(groups_.size()) - 1, 0);
            const int visibleBefore = tail.count > 1 ? tail.count : 0;
            beginInsertRows(tailIndex, visibleBefore, tail.count + extend - 1);
            tail.count += extend;
            endInsertRows();
            if (visibleBefore == 0)
                emit dataChanged(tailIndex, tailIndex.siblingAtColumn(columnCount() - 1));
            row += extend;
        }
    }
    if (row > last)
        return;
    std::vector<Group> added;
    for (; row <= last; ++row) {
        const qint64 revision = revisionAt(row);
        if (!added.empty() && added.back().revision == revision && revision > 0)
            ++added.back().count;
        else
            added.push_back({row, 1, revision});
    }
    const int firstGroup = int(groups_.size());
    beginInsertRows({}, firstGroup, firstGroup + int(added.size()) - 1);
    groups_.insert(groups_.end(), added.begin(), added.end());
    endInsertRows();
}

void RevisionGroupModel::onRowsAboutToBeRemoved(const QModelIndex& parent, int first, int last)
{
    if (parent.isValid())
        return;
    if (first != 0) {
        resetPending_ = true;  // not a front trim: rebuild once the source is done
        return;
    }
    // A front trim: whole groups go in one removal; a group cut in two loses
    // its first children in one removal.
    int fullGroups = 0;
    while (fullGroups < int(groups_.size())
           && groups_[fullGroups].firstSourceRow + groups_[fullGroups].count - 1 <= last)
        ++fullGroups;
    if (fullGroups > 0) {
        beginRemoveRows({}, 0, fullGroups - 1);
        groups_.erase(groups_.begin(), groups_.begin() + fullGroups);
        endRemoveRows();
    }
    if (!groups_.empty() && groups_.front().firstSourceRow <= last) {
        Group& head = groups_.front();
        const int cut = last - head.firstSourceRow + 1;
        const int left = head.count - cut;
        // Down to one event, the group becomes a plain row: all children go.
        beginRemoveRows(index(0, 0), 0, left > 1 ? cut - 1 : head.count - 1);
        head.count = left;
        head.firstSourceRow += cut;
        endRemoveRows();
        if (left == 1)
            emit dataChanged(index(0, 0), index(0, columnCount() - 1));
    }
    const int removed = last - first + 1;
    for (Group& group : groups_)
        group.firstSourceRow -= removed;
}

void RevisionGroupModel::onRowsRemoved(const QModelIndex& parent, int, int)
{
    if (!parent.isValid() && std::exchange(resetPending_, false))
        rebuild();
}

QModelIndex RevisionGroupModel::mapToSource(const QModelIndex& index) const
{
    if (!index.isValid() || !source_)
        return {};
    if (index.internalId() == kGroupId)
        return source_->index(groups_[std::size_t(index.row())].firstSourceRow, index.column());
    const Group& group = groups_[std::size_t(index.internalId() - 1)];
    return source_->index(group.firstSourceRow + index.row(), index.column());
}

QModelIndex RevisionGroupModel::index(int row, int column, const QModelIndex& parent) const
{
    if (row < 0 || column < 0 || column >= columnCount())
        return {};
    if (!parent.isValid())
        return row < int(groups_.size()) ? createIndex(row, column, kGroupId) : QModelIndex();
    if (parent.internalId() != kGroupId || parent.row() >= int(groups_.size()))
        return {};
    if (row >= groups_[std::size_t(parent.row())].count)
        return {};
    return createIndex(row, column, quintptr(parent.row()) + 1);
}

QModelIndex RevisionGroupModel::parent(const QModelIndex& child) const
{
    if (!child.isValid() || child.internalId() == kGroupId)
        return {};
    return createIndex(int(child.internalId() - 1), 0, kGroupId);
}

int RevisionGroupModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid())
        return int(groups_.size());
    if (parent.internalId() != kGroupId || parent.column() != 0)
        return 0;
    const Group& group = groups_[std::size_t(parent.row())];
    return group.count > 1 ? group.count : 0;  // a single event is its own row
}

int RevisionGroupModel::columnCount(const QModelIndex&) const
{
    return source_ ? source_->columnCount() : 0;
}

QVariant RevisionGroupModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    return source_ ? source_->headerData(section, orientation, role) : QVariant();
}

QVariant RevisionGroupModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !source_)
        return {};
    if (index.internalId() != kGroupId)
        return mapToSource(index).data(role);
    const Group& group = groups_[std::size_t(index.row())];
    if (group.count == 1)
        return mapToSource(index).data(role);
    return groupData(group, index.column(), role);
}

QVariant RevisionGroupModel::groupData(const Group& group, int column, int role) const
{
    const QModelIndex first = source_->index(group.firstSourceRow, column);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return role == Qt::ForegroundRole || role == Qt::BackgroundRole ? QVariant() : first.data(role);
    switch (column) {
    case EventTimelineModel::TimeColumn:
    case EventTimelineModel::RevisionColumn:
        return first.data(role);
    case EventTimelineModel::WatchColumn: {
        QSet<QString> watches;
        for (int row = 0; row < group.count; ++row)
            watches.insert(source_->index(group.firstSourceRow + row, column).data().toString());
        return watches.size() == 1 ? *watches.begin() : tr("%1 watches").arg(watches.size());
    }
    case EventTimelineModel::TypeColumn: return tr("TXN");
    case EventTimelineModel::KeyColumn: return tr("%1 events in one revision").arg(group.count);
    }
    return {};
}

}  // namespace etcdscope::ui
