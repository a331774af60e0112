#include "monitor/event_timeline_model.h"

#include "decode/value_text.h"
#include "shared/status_colours.h"

#include <QApplication>
#include <QDateTime>
#include <QHeaderView>
#include <QPalette>
#include <QTableView>

namespace etcdscope::ui {

namespace {

constexpr int kCellPreviewChars = 160;


}  // namespace

namespace {

// When a record arrived: the time of day today, with the date before today;
// a version known only from a snapshot never arrived as an event.
QString receivedText(const EventRecord& r)
{
    if (r.receivedMs == 0)
        return r.kind == RecordKind::Put ? EventTimelineModel::tr("snapshot") : QString();
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(r.receivedMs);
    return at.date() == QDate::currentDate() ? at.toString("hh:mm:ss.zzz") : at.toString("yyyy-MM-dd hh:mm:ss");
}

}  // namespace

void configureTimelineView(QTableView* view)
{
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->verticalHeader()->hide();
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setWordWrap(false);
    view->setColumnWidth(EventTimelineModel::TimeColumn, 95);
    view->setColumnWidth(EventTimelineModel::RevisionColumn, 75);
    view->setColumnWidth(EventTimelineModel::WatchColumn, 140);
    view->setColumnWidth(EventTimelineModel::TypeColumn, 65);
    view->setColumnWidth(EventTimelineModel::KeyColumn, 220);
    view->setColumnWidth(EventTimelineModel::ValueColumn, 260);
}

EventTimelineModel::EventTimelineModel(QObject* parent) : QAbstractTableModel(parent) {}

void EventTimelineModel::setMaxRows(int rows)
{
    maxRows_ = std::max(1, rows);
    if (int(rows_.size()) > maxRows_) {
        const int excess = int(rows_.size()) - maxRows_;
        beginRemoveRows({}, 0, excess - 1);
        rows_.erase(rows_.begin(), rows_.begin() + excess);
        groupParity_.erase(groupParity_.begin(), groupParity_.begin() + excess);
        endRemoveRows();
    }
}

void EventTimelineModel::setWatchLabel(WatchHandle watch, const QString& label)
{
    watchLabels_.insert(watch, label);
    if (!rows_.empty())
        emit dataChanged(index(0, WatchColumn), index(rowCount() - 1, WatchColumn), {Qt::DisplayRole});
}

void EventTimelineModel::append(const std::vector<EventRecord>& records)
{
    if (records.empty())
        return;
    // While paused nothing is shown, so only the newest maxRows can ever be.
    const std::size_t keep = std::min(records.size(), std::size_t(maxRows_));
    for (auto it = records.end() - qsizetype(keep); it != records.end(); ++it)
        pending_.push_back(*it);  // QByteArray members are shared, not copied
    while (int(pending_.size()) > maxRows_)
        pending_.pop_front();
    flush();
}

void EventTimelineModel::setPaused(bool paused)
{
    paused_ = paused;
    if (!paused_ && !pending_.empty())
        flush();
}

void EventTimelineModel::flush()
{
    if (paused_ || pending_.empty())
        return;
    const int incoming = int(pending_.size());
    // Trim first, in one removal, so that rows + incoming <= maxRows.
    // Trimmed in steps: only once the window is a tenth over its size, down
    // to its size, so that a full window is not trimmed at every batch (each
    // removal costs the proxies and views above it their whole mappings).
    const int excess = int(rows_.size()) + incoming > maxRows_ + trimSlack() ? int(rows_.size()) + incoming - maxRows_
                                                                            : 0;
    if (excess > 0) {
        const int removeCount = std::min(excess, int(rows_.size()));
        if (removeCount > 0) {
            beginRemoveRows({}, 0, removeCount - 1);
            rows_.erase(rows_.begin(), rows_.begin() + removeCount);
            groupParity_.erase(groupParity_.begin(), groupParity_.begin() + removeCount);
            endRemoveRows();
        }
    }
    const int first = int(rows_.size());
    const int last = first + incoming - 1;
    beginInsertRows({}, first, last);
    for (EventRecord& r : pending_) {
        if (r.modRevision != revisionOfLast_) {
            groupParityOfLast_ ^= 1;
            revisionOfLast_ = r.modRevision;
        }
        groupParity_.push_back(groupParityOfLast_);
        rows_.push_back(std::move(r));
    }
    pending_.clear();
    endInsertRows();
}

void EventTimelineModel::clear()
{
    beginResetModel();
    rows_.clear();
    pending_.clear();
    groupParity_.clear();
    endResetModel();
}

int EventTimelineModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }
int EventTimelineModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant EventTimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn: return tr("Time");
    case RevisionColumn: return tr("Revision");
    case WatchColumn: return tr("Watch");
    case TypeColumn: return tr("Type");
    case KeyColumn: return tr("Key");
    case ValueColumn: return tr("Value");
    case PreviousColumn: return tr("Previous value");
    }
    return {};
}

QString EventTimelineModel::displayText(const EventRecord& r, int column) const
{
    switch (column) {
    case TimeColumn: return receivedText(r);
    case RevisionColumn:
        return r.kind == RecordKind::Gap ? QStringLiteral("%1–%2").arg(r.gapFrom).arg(r.gapTo)
                                         : r.modRevision > 0 ? QString::number(r.modRevision) : QString();
    case WatchColumn: return watchLabels_.value(r.watch, QString::number(r.watch));
    case TypeColumn: return QString::fromLatin1(recordKindName(r.kind));
    case KeyColumn:
        if (r.kind == RecordKind::Gap)
            return r.gapMayLackDeletesAt != 0
                       ? tr("revisions %1 to %2 were compacted: these changes can no longer be seen; revision %3 "
                            "may lack its DELETEs (etcd issue 18089)")
                             .arg(r.gapFrom)
                             .arg(r.gapTo)
                             .arg(r.gapMayLackDeletesAt)
                       : tr("revisions %1 to %2 were compacted: these changes can no longer be seen")
                             .arg(r.gapFrom)
                             .arg(r.gapTo);
        if (r.kind == RecordKind::Note)
            return r.note;
        return valuePreview(r.key, kCellPreviewChars);
    case ValueColumn: return r.kind == RecordKind::Put ? valuePreview(r.key, r.value, kCellPreviewChars) : QString();
    case PreviousColumn: return r.hasPrevValue ? valuePreview(r.key, r.prevValue, kCellPreviewChars) : QString();
    }
    return {};
}

QVariant EventTimelineModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(rows_.size()))
        return {};
    const EventRecord& r = rows_[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole: return displayText(r, index.column());
    case Qt::ToolTipRole:
        if (index.column() == KeyColumn || index.column() == ValueColumn || index.column() == PreviousColumn)
            return displayText(r, index.column()).left(2000);
        return {};
    case Qt::ForegroundRole:
        if (r.kind == RecordKind::Delete && index.column() == TypeColumn)
            return statusColour(StatusTone::Bad, QApplication::palette());
        if (r.kind == RecordKind::Put && index.column() == TypeColumn)
            return statusColour(StatusTone::Good, QApplication::palette());
        if (r.kind == RecordKind::Note)
            return QApplication::palette().color(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::BackgroundRole:
        if (r.kind == RecordKind::Gap)
            return statusBackground(StatusTone::Warning, QApplication::palette());
        if (groupParity_[std::size_t(index.row())])
            return QApplication::palette().color(QPalette::AlternateBase);
        return {};
    case RecordIdRole: return r.id;
    case WatchRole: return qint64(r.watch);
    case KindRole: return int(r.kind);
    case RevisionRole: return qint64(r.modRevision);
    case RevisionGroupRole: return groupParity_[std::size_t(index.row())];
    }
    return {};
}

// --- filter -------------------------------------------------------------------------

TimelineFilterProxy::TimelineFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {}

void TimelineFilterProxy::setKeyFilter(const QString& text, bool isRegex)
{
    keyText_ = text;
    useRegex_ = isRegex;
    keyRegex_ = QRegularExpression(isRegex ? text : QString());
    keyFilterValid_ = !isRegex || keyRegex_.isValid();
    invalidateFilter();
}

void TimelineFilterProxy::setKindFilter(std::optional<RecordKind> kind)
{
    kind_ = kind;
    invalidateFilter();
}

void TimelineFilterProxy::setWatchFilter(std::optional<WatchHandle> watch)
{
    watch_ = watch;
    invalidateFilter();
}

bool TimelineFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const auto* model = static_cast<const EventTimelineModel*>(sourceModel());
    if (sourceParent.isValid() || !model)
        return false;
    const EventRecord& r = model->record(sourceRow);
    if (watch_ && r.watch != *watch_)
        return false;
    if (kind_ && r.kind != *kind_)
        return false;
    if (keyText_.isEmpty() || r.kind == RecordKind::Gap || r.kind == RecordKind::Note || !keyFilterValid_)
        return true;
    const QString key = QString::fromUtf8(r.key);
    return useRegex_ ? keyRegex_.match(key).hasMatch() : key.contains(keyText_, Qt::CaseInsensitive);
}

}  // namespace etcdscope::ui
