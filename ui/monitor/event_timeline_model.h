// The event timeline: a bounded, append-only window of the most recent
// records (the whole log lives in the store). Each append (one session
// batch: the session is the only batching stage) is one insert; the oldest
// rows are trimmed in one removal once the window is a tenth over its size.
// Strings are built only when a view asks for them.
#pragma once

#include "format/event_record.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QRegularExpression>
#include <QSortFilterProxyModel>

class QTableView;

#include <deque>
#include <optional>

namespace etcdscope::ui {

class EventTimelineModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { TimeColumn, RevisionColumn, WatchColumn, TypeColumn, KeyColumn, ValueColumn, PreviousColumn,
                  ColumnCount };
    enum Role {
        RecordIdRole = Qt::UserRole + 1,  // qint64: store id (0 if not stored)
        WatchRole,                        // qint64
        KindRole,                         // int: RecordKind
        RevisionRole,                     // qint64
        RevisionGroupRole,                // int: 0/1 alternating per revision, for shading transactions
    };

    static constexpr int kDefaultMaxRows = 50'000;

    explicit EventTimelineModel(QObject* parent = nullptr);

    // The window: rows beyond maxRows are trimmed (in steps: see flush).
    void setMaxRows(int rows);
    int maxRows() const { return maxRows_; }
    int trimSlack() const { return maxRows_ / 10; }
    void setWatchLabel(WatchHandle watch, const QString& label);
    // Inserts records at the end in one insert (queues them while paused).
    void append(const std::vector<EventRecord>& records);
    // Paused: new records wait (bounded by maxRows) and appear on resume.
    void setPaused(bool paused);
    bool isPaused() const { return paused_; }
    int pendingCount() const { return int(pending_.size()); }
    // Inserts what is queued (what resuming does).
    void flush();
    void clear();
    const EventRecord& record(int row) const { return rows_[std::size_t(row)]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString displayText(const EventRecord& record, int column) const;

    std::deque<EventRecord> rows_;
    std::deque<EventRecord> pending_;
    QHash<WatchHandle, QString> watchLabels_;
    int maxRows_ = kDefaultMaxRows;
    bool paused_ = false;
    int groupParityOfLast_ = 0;      // alternates when the revision changes
    qint64 revisionOfLast_ = -1;
    std::deque<int> groupParity_;    // per row, parallel to rows_
};

// Filters the timeline: key substring or regular expression, record kind,
// watch. Gap and note rows always pass the key filter (they have no key).
class TimelineFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT

public:
    explicit TimelineFilterProxy(QObject* parent = nullptr);
    void setKeyFilter(const QString& text, bool isRegex);  // invalid regex: filters nothing out
    bool keyFilterValid() const { return keyFilterValid_; }
    void setKindFilter(std::optional<RecordKind> kind);
    void setWatchFilter(std::optional<WatchHandle> watch);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString keyText_;
    QRegularExpression keyRegex_;
    bool useRegex_ = false;
    bool keyFilterValid_ = true;
    std::optional<RecordKind> kind_;
    std::optional<WatchHandle> watch_;
};

// Gives a table view over the timeline (or its proxies) the timeline's look:
// whole-row selection, one line per row, column widths that fit the columns.
void configureTimelineView(QTableView* view);

}  // namespace etcdscope::ui
