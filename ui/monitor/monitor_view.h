// The Watches tab: the watch tree on the left; on the right the event
// timeline (flat, or grouped by revision) under its filter bar, the detail
// pane of the selected event, and the revision chart. Fed by the monitor's
// controller, one call per delivered batch; it owns its models.
#pragma once

#include "engine/engine_types.h"
#include "format/event_record.h"

#include <QHash>
#include <QWidget>

#include <deque>

#include <optional>

class QAbstractItemView;
class QCheckBox;
class QComboBox;
class QLineEdit;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTreeView;

namespace etcdscope::ui {

class DetailPane;
class EventTimelineModel;
class RevisionChart;
class RevisionGroupModel;
class TimelineFilterProxy;
class WatchTreeModel;

class MonitorView : public QWidget {
    Q_OBJECT

public:
    explicit MonitorView(QWidget* parent = nullptr);

    WatchTreeModel* treeModel() const { return treeModel_; }
    EventTimelineModel* timelineModel() const { return timelineModel_; }
    RevisionChart* chart() const { return chart_; }
    QSplitter* mainSplitter() const { return mainSplitter_; }
    QSplitter* rightSplitter() const { return rightSplitter_; }

    void addWatch(const WatchDefinition& definition);
    void removeWatch(WatchHandle handle);
    void setWatchState(WatchHandle handle, WatchState state, const QString& reason);
    void setWatchInfo(const WatchInfo& info);
    void setWatchNotify(WatchHandle handle, bool notify);
    // One delivered batch: its records into the tree and the timeline, its
    // events and gaps onto the chart.
    // A very large batch (a catch-up) is applied in slices over several
    // event-loop turns, in order, before any later batch.
    void showRecords(const RecordBatch& records);
    // A session batch as it arrives: its events and gaps counted on the chart.
    void chartUpdates(const std::vector<WatchUpdate>& updates, qint64 serverRevision, qint64 receivedMs);
    // A line in the timeline that is not an event (a reconnect, a leader change).
    void addNote(const QString& text);
    void markReconnect(qint64 atMs);
    void markLeaderChange(qint64 atMs, const QString& text);

    void setPaused(bool paused);
    void setFollow(bool follow) { follow_ = follow; }
    void setGrouped(bool grouped);
    void focusFilter();
    void clearTimeline();

    // The watch selected in the tree, if a row of one is.
    std::optional<WatchHandle> selectedWatch() const;
    // What the filter bar narrows the timeline to (for exports).
    std::optional<WatchHandle> watchFilter() const;
    QString plainKeyFilter() const;  // empty when the filter is a regular expression

signals:
    // "Watch this key / prefix…" from a context menu.
    void watchRequested(const QByteArray& key, bool prefix);
    void cancelRequested(WatchHandle handle);
    void notifyToggled(WatchHandle handle, bool notify);

private:
    QWidget* buildTree();
    QWidget* buildTimeline();
    void showTreeMenu(const QPoint& at);
    void showTimelineMenu(const QPoint& at);
    void applyBacklog();
    void updateFilter();
    void showEventAt(const QModelIndex& filteredIndex);
    // Repaints `view` at most every kRepaintIntervalMs while its model
    // changes, then (`followsTail`) scrolls to the end if the view was at the
    // end before the rows came in.
    void throttleRepaints(QAbstractItemView* view, bool followsTail);

    WatchTreeModel* treeModel_;
    EventTimelineModel* timelineModel_;
    TimelineFilterProxy* filterProxy_;
    RevisionGroupModel* groupModel_;
    // Labels outlive their watch: its events stay in the timeline after it is cancelled.
    QHash<WatchHandle, QString> labels_;
    // Batches (or what is left of one) waiting to be applied, oldest first.
    struct Slice {
        RecordBatch records;
        std::size_t offset = 0;  // records before it are applied
    };
    std::deque<Slice> backlog_;
    bool follow_ = true;

    QTreeView* treeView_ = nullptr;
    QTableView* timelineView_ = nullptr;
    QTreeView* groupView_ = nullptr;  // the timeline grouped by revision
    QStackedWidget* timelineStack_ = nullptr;
    DetailPane* detail_ = nullptr;
    RevisionChart* chart_ = nullptr;
    QSplitter* mainSplitter_ = nullptr;
    QSplitter* rightSplitter_ = nullptr;
    QLineEdit* filterEdit_ = nullptr;
    QCheckBox* regexCheck_ = nullptr;
    QComboBox* kindCombo_ = nullptr;
    QComboBox* watchCombo_ = nullptr;
};

}  // namespace etcdscope::ui
