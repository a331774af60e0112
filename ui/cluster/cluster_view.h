// The cluster at a glance: every member with its role (leader, follower,
// learner), health, version, database size and size in use, raft term and
// indexes and revision as it reports them itself, plus the cluster's alarms;
// refreshed on an interval through the AdminClient's thread. A change of leader
// between two refreshes is announced (the monitor marks it on the revision
// chart).
#pragma once

#include "admin/admin_client.h"

#include <QTimer>
#include <QWidget>

#include <functional>
#include <map>

class QLabel;
class QPushButton;
class QTableWidget;
class QTreeWidget;

namespace etcdscope::ui {

class ClusterView : public QWidget {
    Q_OBJECT

public:
    enum Column { NameColumn, IdColumn, UrlColumn, RoleColumn, HealthColumn, VersionColumn, DbSizeColumn,
                  DbInUseColumn, TermColumn, IndexColumn, AppliedColumn, RevisionColumn, NotesColumn, ColumnCount };

    explicit ClusterView(AdminClient* client, QWidget* parent = nullptr);

    // Asks now for members and status, and for users and roles (unless an
    // answer is still on its way). The interval refreshes the members only:
    // users and roles rarely change and cost a request per user and role.
    void refresh();
    // Refreshes every `ms` milliseconds; 0 stops.
    void setRefreshInterval(int ms);
    // Forgets what was shown (another cluster): no leader change is
    // announced across a change of connection.
    void reset();
    QTableWidget* table() const { return table_; }
    QTreeWidget* authTree() const { return authTree_; }
    ClusterStatusPtr lastStatus() const { return last_; }

    // Maintenance follows the connection's read-write switch, and each step
    // is confirmed (a message box by default; tests answer). Each returns
    // the refusal when read-only; the outcome comes as maintenanceDone().
    void setWritable(bool writable);
    using Confirm = std::function<bool(const QString& title, const QString& text)>;
    void setConfirm(Confirm confirm) { confirm_ = std::move(confirm); }
    QString compactTo(qint64 revision);
    QString defragmentMember(int row);
    QString disarmAlarms();
    QString saveSnapshot(const QString& path);
    // Ends the snapshot being saved; nothing of it is kept.
    void cancelSnapshot();

signals:
    void refreshed();
    void leaderChanged(quint64 from, quint64 to, const QString& toName);
    void maintenanceDone(const QString& sentence);

private:
    void display(const ClusterStatusPtr& status);
    void displayAuth(const AuthInfoPtr& info);

    AdminClient* client_;
    QLabel* summary_;
    QLabel* alarms_;
    QPushButton* disarmButton_;  // shown while an alarm is raised
    QTableWidget* table_;
    QTimer timer_;
    quint64 pending_ = 0;
    ClusterStatusPtr last_;
    quint64 lastLeader_ = 0;
    bool writable_ = false;
    Confirm confirm_;
    QPushButton* compactButton_;
    QPushButton* defragButton_;
    QPushButton* snapshotButton_;
    QLabel* progress_;
    QPushButton* cancelSnapshotButton_;
    quint64 snapshotId_ = 0;  // the snapshot being saved, if any
    QTreeWidget* authTree_;
    quint64 authPending_ = 0;
    std::map<quint64, QString> running_;  // maintenance request -> what it is
};

// "8e9e05c52164694d": how etcd and etcdctl print member and cluster IDs.
QString hexId(quint64 id);

}  // namespace etcdscope::ui
