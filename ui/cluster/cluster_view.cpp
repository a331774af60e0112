#include "cluster/cluster_view.h"

#include "decode/value_text.h"
#include "shared/confirm_change.h"
#include "shared/status_colours.h"

#include <QDateTime>
#include <QFileDialog>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace etcdscope::ui {

QString hexId(quint64 id) { return QString::number(id, 16); }

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QTableWidgetItem* cell(const QString& text, Qt::Alignment alignment = Qt::AlignLeft | Qt::AlignVCenter)
{
    auto* item = new QTableWidgetItem(text);
    item->setTextAlignment(alignment);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    return item;
}

QTableWidgetItem* number(qint64 value)
{
    return cell(QLocale().toString(value), Qt::AlignRight | Qt::AlignVCenter);
}

}  // namespace

ClusterView::ClusterView(AdminClient* client, QWidget* parent)
    : QWidget(parent)
    , client_(client)
{
    summary_ = new QLabel(tr("Not read yet."));
    summary_->setObjectName("clusterSummary");
    summary_->setTextFormat(Qt::RichText);
    alarms_ = new QLabel;
    alarms_->setObjectName("clusterAlarms");
    disarmButton_ = new QPushButton(tr("D&isarm alarms…"));
    disarmButton_->setObjectName("disarmButton");
    disarmButton_->hide();
    connect(disarmButton_, &QPushButton::clicked, this, &ClusterView::disarmAlarms);
    auto* refreshButton = new QPushButton(tr("&Refresh"));
    connect(refreshButton, &QPushButton::clicked, this, &ClusterView::refresh);
    compactButton_ = new QPushButton(tr("&Compact…"));
    compactButton_->setObjectName("compactButton");
    defragButton_ = new QPushButton(tr("&Defragment member…"));
    defragButton_->setObjectName("defragmentButton");
    snapshotButton_ = new QPushButton(tr("Save &snapshot…"));
    snapshotButton_->setObjectName("snapshotButton");
    progress_ = new QLabel;
    progress_->setObjectName("maintenanceProgress");
    cancelSnapshotButton_ = new QPushButton(tr("Cancel snapshot"));
    cancelSnapshotButton_->setObjectName("cancelSnapshotButton");
    cancelSnapshotButton_->hide();
    auto* top = new QHBoxLayout;
    top->addWidget(summary_, 1);
    top->addWidget(progress_);
    top->addWidget(cancelSnapshotButton_);
    top->addWidget(compactButton_);
    top->addWidget(defragButton_);
    top->addWidget(snapshotButton_);
    top->addWidget(refreshButton);

    table_ = new QTableWidget(0, ColumnCount);
    table_->setObjectName("clusterTable");
    table_->setHorizontalHeaderLabels({tr("Member"), tr("ID"), tr("Client URL"), tr("Role"), tr("Health"),
                                       tr("Version"), tr("DB size"), tr("In use"), tr("Raft term"),
                                       tr("Raft index"), tr("Applied"), tr("Revision"), tr("Notes")});
    table_->verticalHeader()->hide();
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setAlternatingRowColors(true);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setWordWrap(false);

    authTree_ = new QTreeWidget;
    authTree_->setObjectName("authTree");
    authTree_->setHeaderLabels({tr("Users and roles (read-only)"), tr("Details")});
    authTree_->setColumnWidth(0, 260);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(table_);
    split->addWidget(authTree_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    auto* alarmRow = new QHBoxLayout;
    alarmRow->addWidget(alarms_, 1);
    alarmRow->addWidget(disarmButton_);
    layout->addLayout(alarmRow);
    layout->addWidget(split, 1);
    connect(client_, &AdminClient::authInfoDone, this, [this](quint64 id, const AuthInfoPtr& info) {
        if (id != authPending_)
            return;
        authPending_ = 0;
        displayAuth(info);
    });

    confirm_ = [this](const QString& title, const QString& text) { return confirmChange(this, title, text); };
    connect(compactButton_, &QPushButton::clicked, this, [this] {
        qint64 newest = 0;
        if (last_)
            for (const MemberStatus& m : last_->members)
                newest = std::max<qint64>(newest, m.revision);
        bool ok = false;
        const QString typed = QInputDialog::getText(this, tr("Compact"),
                                                    tr("Forget the history before revision (the newest is %1):")
                                                        .arg(newest),
                                                    QLineEdit::Normal, QString::number(newest), &ok);
        if (ok && typed.toLongLong() > 0)
            compactTo(typed.toLongLong());
    });
    connect(defragButton_, &QPushButton::clicked, this, [this] {
        if (table_->currentRow() >= 0)
            defragmentMember(table_->currentRow());
    });
    connect(snapshotButton_, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save a snapshot of the store"), "etcd-snapshot.db",
                                                          tr("etcd snapshots (*.db);;All files (*)"));
        if (!path.isEmpty())
            saveSnapshot(path);
    });
    connect(cancelSnapshotButton_, &QPushButton::clicked, this, &ClusterView::cancelSnapshot);
    connect(client_, &AdminClient::snapshotProgress, this, [this](quint64 id, qint64 bytes) {
        if (running_.count(id))
            progress_->setText(tr("snapshot: %1 so far").arg(QLocale().formattedDataSize(bytes)));
    });
    connect(client_, &AdminClient::writeDone, this, [this](quint64 id, const WriteResultPtr& result) {
        const auto it = running_.find(id);
        if (it == running_.end())
            return;
        const QString what = it->second;
        running_.erase(it);
        progress_->clear();
        if (id == snapshotId_) {
            snapshotId_ = 0;
            cancelSnapshotButton_->hide();
            snapshotButton_->setEnabled(writable_);
        }
        QString done = tr("%1: done.").arg(what);
        if (result->bytesWritten > 0)
            done = tr("%1: done (%2).").arg(what, QLocale().formattedDataSize(result->bytesWritten));
        else if (result->alarmsDisarmed > 0)
            done = tr("%1: done (%n alarm(s) disarmed).", nullptr, int(result->alarmsDisarmed)).arg(what);
        emit maintenanceDone(result->error.empty() ? done
                                                   : tr("%1 failed: %2").arg(what, QString::fromStdString(result->error)));
        refresh();
    });
    setWritable(false);
    connect(&timer_, &QTimer::timeout, this, [this] {
        if (pending_ == 0)
            pending_ = client_->clusterStatus();
    });
    connect(client_, &AdminClient::clusterStatusDone, this, [this](quint64 id, const ClusterStatusPtr& status) {
        if (id != pending_)
            return;
        pending_ = 0;
        display(status);
    });
}

void ClusterView::setWritable(bool writable)
{
    writable_ = writable;
    for (QPushButton* button : {compactButton_, defragButton_, snapshotButton_, disarmButton_})
        button->setEnabled(writable);
    if (snapshotId_ != 0)
        snapshotButton_->setEnabled(false);  // one at a time
}

QString ClusterView::compactTo(qint64 revision)
{
    if (!writable_)
        return tr("This connection is read-only: tick Read-write (Keys tab) to compact.");
    if (!confirm_(tr("Compact"), tr("Forget every revision before %1 on the whole cluster? Watches and reads of older "
                                    "revisions will get a compaction error; this cannot be undone.")
                                     .arg(revision)))
        return {};
    running_[client_->compact(revision)] = tr("Compaction to revision %1").arg(revision);
    return {};
}

QString ClusterView::disarmAlarms()
{
    if (!writable_)
        return tr("This connection is read-only: tick Read-write (Keys tab) to disarm alarms.");
    QStringList raised;
    if (last_)
        for (const std::string& alarm : last_->alarms)
            raised << QString::fromStdString(alarm);
    if (!confirm_(tr("Disarm alarms"),
                  tr("Disarm %1?\n\netcd raises NOSPACE again at once if the database is still over its quota: "
                     "compact and defragment first.")
                      .arg(raised.isEmpty() ? tr("every alarm") : raised.join(", "))))
        return {};
    running_[client_->disarmAlarms()] = tr("Disarming the alarms");
    return {};
}

QString ClusterView::defragmentMember(int row)
{
    if (!writable_)
        return tr("This connection is read-only: tick Read-write (Keys tab) to defragment.");
    if (!last_ || row < 0 || row >= int(last_->members.size()) || last_->members[std::size_t(row)].clientUrls.empty())
        return tr("Choose a member that has a client URL.");
    const MemberStatus& m = last_->members[std::size_t(row)];
    if (!confirm_(tr("Defragment"), tr("Defragment member %1 (%2)? It answers no requests until it is done (seconds "
                                       "to minutes for a large store).")
                                        .arg(QString::fromStdString(m.name), QString::fromStdString(m.clientUrls.front()))))
        return {};
    running_[client_->defragment(m.id, m.clientUrls)] = tr("Defragmentation of %1").arg(QString::fromStdString(m.name));
    return {};
}

QString ClusterView::saveSnapshot(const QString& path)
{
    if (!writable_)
        return tr("This connection is read-only: tick Read-write (Keys tab) to save a snapshot.");
    if (!confirm_(tr("Save a snapshot"), tr("Stream the whole store of a member to %1? It loads the member while it "
                                            "runs.")
                                             .arg(path)))
        return {};
    if (snapshotId_ != 0)
        return tr("A snapshot is being saved already; wait for it or cancel it.");
    snapshotId_ = client_->snapshot(path);
    running_[snapshotId_] = tr("Snapshot to %1").arg(path);
    progress_->setText(tr("snapshot: starting…"));
    cancelSnapshotButton_->show();
    snapshotButton_->setEnabled(false);
    return {};
}

void ClusterView::cancelSnapshot()
{
    if (snapshotId_ == 0)
        return;
    client_->cancelSnapshot();
    progress_->setText(tr("snapshot: cancelling…"));
}

void ClusterView::refresh()
{
    if (pending_ == 0)
        pending_ = client_->clusterStatus();
    if (authPending_ == 0)
        authPending_ = client_->authInfo();
}

void ClusterView::setRefreshInterval(int ms)
{
    if (ms <= 0) {
        timer_.stop();
        return;
    }
    timer_.start(ms);
}

void ClusterView::reset()
{
    pending_ = 0;  // an answer about the old cluster is dropped
    authPending_ = 0;
    authTree_->clear();
    last_.reset();
    lastLeader_ = 0;
    table_->setRowCount(0);
    summary_->setText(tr("Not read yet."));
    alarms_->clear();
}

void ClusterView::display(const ClusterStatusPtr& status)
{
    const QString when = QDateTime::currentDateTime().toString("hh:mm:ss");
    if (!status->error.empty()) {
        // Keep the last good table; say why it is not current.
        summary_->setText(tr("<b>Cannot read the cluster</b> (%1): %2")
                              .arg(when, qs(status->error).toHtmlEscaped()));
        emit refreshed();
        return;
    }
    last_ = status;
    QString leaderName = tr("none");
    int healthy = 0;
    table_->setRowCount(int(status->members.size()));
    for (int row = 0; row < int(status->members.size()); ++row) {
        const MemberStatus& m = status->members[std::size_t(row)];
        const bool isLeader = m.id == status->leader && status->leader != 0;
        if (isLeader)
            leaderName = qs(m.name);
        QString health;
        QString why;
        if (!m.reachable) {
            health = tr("unreachable");
            why = qs(m.error);
        } else if (!m.errors.empty()) {
            health = tr("errors");
            for (const std::string& e : m.errors)
                why += qs(e) + "\n";
        } else if (m.leader == 0) {
            health = tr("no leader");
            why = tr("This member does not know a leader: it cannot serve linearizable requests.");
        } else {
            health = tr("healthy");
            ++healthy;
        }
        table_->setItem(row, NameColumn, cell(m.name.empty() ? tr("(not started)") : qs(m.name)));
        table_->setItem(row, IdColumn, cell(hexId(m.id)));
        table_->setItem(row, UrlColumn, cell(m.clientUrls.empty() ? QString() : qs(m.clientUrls.front())));
        auto* role = cell(isLeader ? tr("★ leader") : m.learner ? tr("learner") : tr("follower"));
        if (isLeader) {
            QFont bold = role->font();
            bold.setBold(true);
            role->setFont(bold);
        }
        table_->setItem(row, RoleColumn, role);
        auto* healthCell = cell(health);
        healthCell->setToolTip(why.trimmed());
        healthCell->setForeground(statusColour(health == tr("healthy") ? StatusTone::Good : StatusTone::Bad, palette()));
        table_->setItem(row, HealthColumn, healthCell);
        const bool known = m.reachable;
        table_->setItem(row, VersionColumn, cell(known ? qs(m.version) : QString()));
        table_->setItem(row, DbSizeColumn,
                        cell(known ? QLocale().formattedDataSize(m.dbSize) : QString(), Qt::AlignRight | Qt::AlignVCenter));
        table_->setItem(row, DbInUseColumn,
                        cell(known ? QLocale().formattedDataSize(m.dbSizeInUse) : QString(),
                             Qt::AlignRight | Qt::AlignVCenter));
        table_->setItem(row, TermColumn, known ? number(qint64(m.raftTerm)) : cell({}));
        table_->setItem(row, IndexColumn, known ? number(qint64(m.raftIndex)) : cell({}));
        table_->setItem(row, AppliedColumn, known ? number(qint64(m.raftAppliedIndex)) : cell({}));
        table_->setItem(row, RevisionColumn, known ? number(m.revision) : cell({}));
        auto* notes = cell(why.trimmed().replace('\n', "; "));
        notes->setToolTip(why.trimmed());
        table_->setItem(row, NotesColumn, notes);
    }
    table_->resizeColumnsToContents();
    table_->setColumnWidth(NotesColumn, 120);  // the rest of the width; long reasons are elided, full in the tooltip
    const int members = int(status->members.size());
    summary_->setText(tr("Cluster <b>%1</b> · %2")
                          .arg(hexId(status->clusterId),
                               members == 1 ? tr("1 member") : tr("%1 members").arg(members))
                      + tr(" · leader <b>%1</b> · %2 healthy · read at %3")
                            .arg(leaderName.toHtmlEscaped())
                            .arg(healthy)
                            .arg(when));
    disarmButton_->setVisible(!status->alarms.empty());
    if (status->alarms.empty()) {
        alarms_->setText(tr("Alarms: none"));
        alarms_->setStyleSheet({});
    } else {
        QStringList list;
        for (const std::string& a : status->alarms)
            list << qs(a);
        alarms_->setText(tr("Alarms: %1 — writes may be refused until they are resolved.").arg(list.join(", ")));
        alarms_->setStyleSheet("QLabel { background: rgba(220, 60, 60, 0.25); padding: 2px 4px; }");
    }
    if (status->leader != 0 && lastLeader_ != 0 && status->leader != lastLeader_)
        emit leaderChanged(lastLeader_, status->leader, leaderName);
    if (status->leader != 0)
        lastLeader_ = status->leader;
    emit refreshed();
}

void ClusterView::displayAuth(const AuthInfoPtr& info)
{
    authTree_->clear();
    if (!info->error.empty()) {
        new QTreeWidgetItem(authTree_, {QString::fromStdString(info->error)});
        return;
    }
    auto bytes = [](const std::string& s) { return QByteArray(s.data(), qsizetype(s.size())); };
    if (info->state != AuthInfo::State::Unknown) {
        auto* state = new QTreeWidgetItem(
            authTree_, {info->state == AuthInfo::State::On ? tr("Authentication is on") : tr("Authentication is off"),
                        info->state == AuthInfo::State::On
                            ? tr("requests need a user; roles below say what each may read and write")
                            : info->users.empty()
                                ? tr("every client may read and write every key")
                                : tr("every client may read and write every key; the users below take effect "
                                     "once it is turned on")});
        QFont bold = state->font(0);
        bold.setBold(true);
        state->setFont(0, bold);
        if (info->state == AuthInfo::State::Off && info->users.empty() && info->roles.empty())
            return;
    }
    auto* users = new QTreeWidgetItem(authTree_, {tr("Users (%1)").arg(info->users.size())});
    for (const auto& [name, roles] : info->users) {
        QStringList list;
        for (const std::string& role : roles)
            list << QString::fromStdString(role);
        new QTreeWidgetItem(users, {QString::fromStdString(name), tr("roles: %1").arg(list.isEmpty() ? tr("none") : list.join(", "))});
    }
    auto* roles = new QTreeWidgetItem(authTree_, {tr("Roles (%1)").arg(info->roles.size())});
    for (const auto& [name, permissions] : info->roles) {
        auto* role = new QTreeWidgetItem(roles, {QString::fromStdString(name),
                                                 permissions.empty() ? tr("no key permissions") : QString()});
        for (const RolePermission& p : permissions) {
            QString range;
            if (p.rangeEnd.empty())
                range = tr("key %1").arg(escapeKey(bytes(p.key)));
            else if (p.rangeEnd == prefixRangeEnd(p.key))
                range = tr("prefix %1").arg(escapeKey(bytes(p.key)));
            else if (p.rangeEnd == std::string(1, '\0'))
                range = tr("every key from %1").arg(escapeKey(bytes(p.key)));
            else
                range = tr("[%1, %2)").arg(escapeKey(bytes(p.key)), escapeKey(bytes(p.rangeEnd)));
            new QTreeWidgetItem(role, {QString::fromStdString(p.type), range});
        }
        role->setExpanded(true);
    }
    users->setExpanded(true);
    roles->setExpanded(true);
}

}  // namespace etcdscope::ui
