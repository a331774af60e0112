// The cluster's leases: each with the seconds it has left, what it was
// granted, and the keys attached (they go when it expires); read through
// the AdminClient's thread, on request or on an interval.
#pragma once

#include "admin/admin_client.h"

#include <QTimer>
#include <QWidget>

class QLabel;
class QTreeWidget;

namespace etcdscope::ui {

class LeasesView : public QWidget {
    Q_OBJECT

public:
    enum Column { LeaseColumn, TtlColumn, GrantedColumn, KeysColumn, ColumnCount };

    explicit LeasesView(AdminClient* client, QWidget* parent = nullptr);
    void refresh();
    void setRefreshInterval(int ms);  // 0 stops
    QTreeWidget* tree() const { return tree_; }

signals:
    void refreshed();

private:
    void display(const LeaseListPtr& list);

    AdminClient* client_;
    QLabel* summary_;
    QTreeWidget* tree_;
    QTimer timer_;
    quint64 pending_ = 0;
};

}  // namespace etcdscope::ui
