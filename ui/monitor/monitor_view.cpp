#include "monitor/monitor_view.h"

#include "monitor/event_timeline_model.h"
#include "monitor/revision_chart.h"
#include "monitor/revision_group_model.h"
#include "monitor/watch_tree_model.h"
#include "shared/detail_pane.h"
#include "shared/status_colours.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QScrollBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

namespace etcdscope::ui {

namespace {

constexpr int kChartMinimumHeight = 200;
constexpr int kKeyColumnWidth = 220;
constexpr int kValueColumnWidth = 170;
// A batch is applied to the models this many records at a time, and no more
// slices than fit in this budget per event-loop turn.
constexpr std::size_t kSliceRecords = 5000;
constexpr qint64 kSliceBudgetMs = 8;
// At most this many new rows under a watch open by themselves.
constexpr int kAutoExpandRows = 200;
// While batches arrive (up to 60 a second), the views repaint, and follow
// the tail, at most this often. The models are up to date at once; only the
// painting waits: it costs more than the models' work (a table relays out
// and repaints all its visible cells after every insert).
constexpr int kRepaintIntervalMs = 50;

bool atEnd(const QAbstractItemView* view)
{
    const QScrollBar* bar = view->verticalScrollBar();
    return bar->value() >= bar->maximum();
}

EventRecord noteRecord(const QString& text, qint64 atMs)
{
    EventRecord r;
    r.receivedMs = atMs;
    r.kind = RecordKind::Note;
    r.note = text;
    return r;
}

}  // namespace

MonitorView::MonitorView(QWidget* parent)
    : QWidget(parent)
    , treeModel_(new WatchTreeModel(this))
    , timelineModel_(new EventTimelineModel(this))
    , filterProxy_(new TimelineFilterProxy(this))
    , groupModel_(new RevisionGroupModel(this))
{
    filterProxy_->setSourceModel(timelineModel_);
    groupModel_->setSourceModel(filterProxy_);

    detail_ = new DetailPane;
    detail_->setObjectName("eventDetail");
    chart_ = new RevisionChart;
    chart_->setObjectName("revisionChart");
    chart_->setMinimumHeight(kChartMinimumHeight);

    rightSplitter_ = new QSplitter(Qt::Vertical);
    rightSplitter_->setObjectName("rightSplitter");
    rightSplitter_->addWidget(buildTimeline());
    rightSplitter_->addWidget(detail_);
    rightSplitter_->addWidget(chart_);
    rightSplitter_->setStretchFactor(0, 5);
    rightSplitter_->setStretchFactor(1, 2);
    rightSplitter_->setStretchFactor(2, 2);

    mainSplitter_ = new QSplitter(Qt::Horizontal);
    mainSplitter_->setObjectName("mainSplitter");
    mainSplitter_->addWidget(buildTree());
    mainSplitter_->addWidget(rightSplitter_);
    mainSplitter_->setStretchFactor(0, 2);
    mainSplitter_->setStretchFactor(1, 5);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(mainSplitter_);
}

QWidget* MonitorView::buildTree()
{
    treeView_ = new QTreeView;
    treeView_->setObjectName("watchTree");
    treeView_->setModel(treeModel_);
    treeView_->setUniformRowHeights(true);
    treeView_->setContextMenuPolicy(Qt::CustomContextMenu);
    treeView_->header()->setSectionResizeMode(WatchTreeModel::NameColumn, QHeaderView::Interactive);
    treeView_->setColumnWidth(WatchTreeModel::NameColumn, kKeyColumnWidth);
    treeView_->setColumnWidth(WatchTreeModel::ValueColumn, kValueColumnWidth);
    // Watches and their first level open by themselves (groups only, and
    // not thousands of them); deeper levels on demand.
    connect(treeModel_, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex& parent, int first, int last) {
        if (parent.isValid() && parent.parent().isValid())
            return;
        treeView_->expand(parent.isValid() ? parent : treeModel_->index(first, 0));
        for (int row = first; row <= std::min(last, first + kAutoExpandRows - 1) && parent.isValid(); ++row) {
            const QModelIndex child = treeModel_->index(row, 0, parent);
            if (treeModel_->hasChildren(child))
                treeView_->expand(child);
        }
    });
    connect(treeView_, &QWidget::customContextMenuRequested, this, &MonitorView::showTreeMenu);
    throttleRepaints(treeView_, false);
    return treeView_;
}

QWidget* MonitorView::buildTimeline()
{
    auto* filterBar = new QWidget;
    auto* filterLayout = new QHBoxLayout(filterBar);
    filterLayout->setContentsMargins(0, 0, 0, 0);
    filterEdit_ = new QLineEdit;
    filterEdit_->setObjectName("filterEdit");
    filterEdit_->setPlaceholderText(tr("Filter by key"));
    filterEdit_->setClearButtonEnabled(true);
    regexCheck_ = new QCheckBox(tr("Re&gex"));
    kindCombo_ = new QComboBox;
    kindCombo_->addItems({tr("All types"), "PUT", "DELETE", "GAP"});
    watchCombo_ = new QComboBox;
    watchCombo_->addItem(tr("All watches"));
    filterLayout->addWidget(filterEdit_, 1);
    filterLayout->addWidget(regexCheck_);
    filterLayout->addWidget(kindCombo_);
    filterLayout->addWidget(watchCombo_);
    connect(filterEdit_, &QLineEdit::textChanged, this, &MonitorView::updateFilter);
    connect(regexCheck_, &QCheckBox::toggled, this, &MonitorView::updateFilter);
    connect(kindCombo_, &QComboBox::currentIndexChanged, this, &MonitorView::updateFilter);
    connect(watchCombo_, &QComboBox::currentIndexChanged, this, &MonitorView::updateFilter);

    timelineView_ = new QTableView;
    timelineView_->setObjectName("timeline");
    timelineView_->setModel(filterProxy_);
    configureTimelineView(timelineView_);
    connect(timelineView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { showEventAt(current); });
    timelineView_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(timelineView_, &QWidget::customContextMenuRequested, this, &MonitorView::showTimelineMenu);
    throttleRepaints(timelineView_, true);

    // The same events grouped by revision: a transaction is one row that
    // opens onto its events, across watches.
    groupView_ = new QTreeView;
    groupView_->setObjectName("groupedTimeline");
    groupView_->setModel(groupModel_);
    groupView_->setUniformRowHeights(true);
    groupView_->setAlternatingRowColors(true);
    for (int column = 0; column < EventTimelineModel::ColumnCount; ++column)
        groupView_->setColumnWidth(column, timelineView_->columnWidth(column));
    // The first column also holds the tree's indentation.
    groupView_->setColumnWidth(EventTimelineModel::TimeColumn,
                               timelineView_->columnWidth(EventTimelineModel::TimeColumn) + groupView_->indentation());
    connect(groupView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { showEventAt(groupModel_->mapToSource(current)); });
    throttleRepaints(groupView_, true);
    timelineStack_ = new QStackedWidget;
    timelineStack_->addWidget(timelineView_);
    timelineStack_->addWidget(groupView_);

    auto* pane = new QWidget;
    auto* layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(filterBar);
    layout->addWidget(timelineStack_, 1);
    return pane;
}

void MonitorView::throttleRepaints(QAbstractItemView* view, bool followsTail)
{
    // The first change since the last repaint switches the viewport's
    // updates off and arms the timer; the timer scrolls to the end if the
    // view was there when the rows came in (reading older rows is not
    // undone, as in Qt Creator's log window), and switches updates on again,
    // which repaints once.
    auto wasAtEnd = std::make_shared<std::optional<bool>>();
    auto* repaint = new QTimer(view);
    repaint->setSingleShot(true);
    repaint->setInterval(kRepaintIntervalMs);
    connect(repaint, &QTimer::timeout, view, [this, view, wasAtEnd, followsTail] {
        if (followsTail && follow_ && wasAtEnd->value_or(false))
            view->scrollToBottom();
        wasAtEnd->reset();
        view->viewport()->setUpdatesEnabled(true);
    });
    const auto changing = [view, repaint] {
        if (repaint->isActive())
            return;
        view->viewport()->setUpdatesEnabled(false);
        repaint->start();
    };
    QAbstractItemModel* model = view->model();
    connect(model, &QAbstractItemModel::rowsAboutToBeInserted, view, [view, wasAtEnd, changing](const QModelIndex& parent) {
        if (!parent.isValid() && !wasAtEnd->has_value())
            *wasAtEnd = atEnd(view);
        changing();
    });
    connect(model, &QAbstractItemModel::rowsAboutToBeRemoved, view, changing);
    connect(model, &QAbstractItemModel::dataChanged, view, changing);
}

void MonitorView::showTreeMenu(const QPoint& at)
{
    const QModelIndex index = treeView_->indexAt(at);
    if (!index.isValid())
        return;
    QMenu menu;
    const QByteArray key = index.data(WatchTreeModel::KeyRole).toByteArray();
    const QByteArray prefix = index.data(WatchTreeModel::PrefixRole).toByteArray();
    if (!key.isEmpty())
        menu.addAction(tr("Watch this key…"), this, [this, key] { emit watchRequested(key, false); });
    if (!prefix.isEmpty())
        menu.addAction(tr("Watch this prefix…"), this, [this, prefix] { emit watchRequested(prefix, true); });
    if (index.data(WatchTreeModel::IsWatchRole).toBool()) {
        const WatchHandle handle = index.data(WatchTreeModel::WatchRole).toLongLong();
        QAction* notify = menu.addAction(tr("Notify on changes"));
        notify->setCheckable(true);
        const WatchDefinition* definition = treeModel_->definition(handle);
        notify->setChecked(definition && definition->notify);
        connect(notify, &QAction::toggled, this, [this, handle](bool on) {
            setWatchNotify(handle, on);
            emit notifyToggled(handle, on);
        });
        menu.addAction(tr("Cancel watch"), this, [this, handle] { emit cancelRequested(handle); });
    }
    menu.exec(treeView_->viewport()->mapToGlobal(at));
}

void MonitorView::showTimelineMenu(const QPoint& at)
{
    const QModelIndex index = filterProxy_->mapToSource(timelineView_->indexAt(at));
    if (!index.isValid())
        return;
    const EventRecord& r = timelineModel_->record(index.row());
    if (r.key.isEmpty())
        return;
    QMenu menu;
    menu.addAction(tr("Watch this key…"), this, [this, key = r.key] { emit watchRequested(key, false); });
    const qsizetype slash = r.key.lastIndexOf('/');
    if (slash > 0)
        menu.addAction(tr("Watch this prefix…"), this,
                       [this, prefix = r.key.left(slash + 1)] { emit watchRequested(prefix, true); });
    menu.exec(timelineView_->viewport()->mapToGlobal(at));
}

// --- fed by the controller ------------------------------------------------------------

void MonitorView::addWatch(const WatchDefinition& definition)
{
    labels_.insert(definition.handle, definition.label);
    treeModel_->addWatch(definition);
    timelineModel_->setWatchLabel(definition.handle, definition.label);
    chart_->addWatch(definition.handle, definition.label);
    watchCombo_->addItem(definition.label, QVariant::fromValue<qint64>(definition.handle));
}

void MonitorView::removeWatch(WatchHandle handle)
{
    treeModel_->removeWatch(handle);
    chart_->removeWatch(handle);
    const int comboIndex = watchCombo_->findData(QVariant::fromValue<qint64>(handle));
    if (comboIndex > 0)
        watchCombo_->removeItem(comboIndex);
}

void MonitorView::setWatchState(WatchHandle handle, WatchState state, const QString& reason)
{
    treeModel_->setWatchState(handle, state, reason);
}

void MonitorView::setWatchInfo(const WatchInfo& info) { treeModel_->setWatchInfo(info); }

void MonitorView::setWatchNotify(WatchHandle handle, bool notify)
{
    treeModel_->setWatchNotify(handle, notify);
}

void MonitorView::chartUpdates(const std::vector<WatchUpdate>& updates, qint64 serverRevision, qint64 receivedMs)
{
    for (const WatchUpdate& update : updates) {
        if (update.kind == WatchUpdate::Kind::Events)
            chart_->recordEvents(update.watch, qint64(update.events.size()), receivedMs);
        else if (update.kind == WatchUpdate::Kind::Gap)
            chart_->addMarker(RevisionChart::Marker::Gap, receivedMs,
                              tr("gap %1–%2").arg(update.fromRevision).arg(update.toRevision));
    }
    chart_->recordServerRevision(serverRevision, receivedMs);
}

void MonitorView::showRecords(const RecordBatch& records)
{
    if (records->empty())
        return;
    backlog_.push_back({records, 0});
    if (backlog_.size() == 1)
        applyBacklog();
}

void MonitorView::applyBacklog()
{
    // A batch is applied in slices of kSliceRecords, and the slices of this
    // event-loop turn stop after kSliceBudgetMs: a catch-up that brings
    // 100,000 events in one batch is spread over turns instead of stalling
    // the window for half a second. An ordinary batch is one slice, at once.
    QElapsedTimer spent;
    spent.start();
    while (!backlog_.empty() && (spent.elapsed() < kSliceBudgetMs)) {
        Slice& slice = backlog_.front();
        const std::vector<EventRecord>& all = *slice.records;
        const std::size_t end = std::min(all.size(), slice.offset + kSliceRecords);
        if (slice.offset == 0 && end == all.size()) {
            treeModel_->applyRecords(all);
            timelineModel_->append(all);
        } else {
            const std::vector<EventRecord> part(all.begin() + qsizetype(slice.offset), all.begin() + qsizetype(end));
            treeModel_->applyRecords(part);
            timelineModel_->append(part);
        }
        slice.offset = end;
        if (slice.offset == all.size())
            backlog_.pop_front();
    }
    if (!backlog_.empty())
        QTimer::singleShot(0, this, &MonitorView::applyBacklog);
}

void MonitorView::addNote(const QString& text)
{
    timelineModel_->append({noteRecord(text, QDateTime::currentMSecsSinceEpoch())});
}

void MonitorView::markReconnect(qint64 atMs)
{
    chart_->addMarker(RevisionChart::Marker::Reconnect, atMs, tr("connection lost"));
}

void MonitorView::markLeaderChange(qint64 atMs, const QString& text)
{
    chart_->addMarker(RevisionChart::Marker::LeaderChange, atMs, text);
    timelineModel_->append({noteRecord(text, atMs)});
}

// --- the person's choices -------------------------------------------------------------

void MonitorView::setPaused(bool paused) { timelineModel_->setPaused(paused); }

void MonitorView::setGrouped(bool grouped)
{
    timelineStack_->setCurrentWidget(grouped ? static_cast<QWidget*>(groupView_) : timelineView_);
    detail_->clear();
}

void MonitorView::focusFilter() { filterEdit_->setFocus(); }

void MonitorView::clearTimeline() { timelineModel_->clear(); }

std::optional<WatchHandle> MonitorView::selectedWatch() const
{
    const QModelIndex index = treeView_->currentIndex();
    if (!index.isValid())
        return std::nullopt;
    return index.data(WatchTreeModel::WatchRole).toLongLong();
}

std::optional<WatchHandle> MonitorView::watchFilter() const
{
    const QVariant watch = watchCombo_->currentData();
    return watch.isValid() ? std::optional<WatchHandle>(watch.toLongLong()) : std::nullopt;
}

QString MonitorView::plainKeyFilter() const { return regexCheck_->isChecked() ? QString() : filterEdit_->text(); }

void MonitorView::updateFilter()
{
    filterProxy_->setKeyFilter(filterEdit_->text(), regexCheck_->isChecked());
    // An invalid expression shows in the theme's own red.
    QPalette palette = this->palette();
    if (!filterProxy_->keyFilterValid())
        palette.setColor(QPalette::Text, statusColour(StatusTone::Bad, palette));
    filterEdit_->setPalette(palette);
    filterEdit_->setToolTip(filterProxy_->keyFilterValid() ? QString() : tr("Not a valid regular expression"));
    const int kind = kindCombo_->currentIndex();
    filterProxy_->setKindFilter(kind == 0 ? std::nullopt : std::optional<RecordKind>(RecordKind(kind - 1)));
    filterProxy_->setWatchFilter(watchFilter());
}

void MonitorView::showEventAt(const QModelIndex& filteredIndex)
{
    const QModelIndex index = filterProxy_->mapToSource(filteredIndex);
    if (!index.isValid()) {
        detail_->clear();
        return;
    }
    const EventRecord& r = timelineModel_->record(index.row());
    detail_->showRecord(r, labels_.value(r.watch));
}

}  // namespace etcdscope::ui
