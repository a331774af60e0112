#include "shared/confirm_change.h"

#include <QMessageBox>
#include <QStringList>

namespace etcdscope::ui {

QString confirmationHtml(const QString& text)
{
    const QStringList paragraphs = text.split(QStringLiteral("\n\n"));
    QString html;
    for (qsizetype p = 0; p < paragraphs.size(); ++p) {
        const QStringList lines = paragraphs[p].split('\n');
        QString block;
        bool inChange = false;
        for (const QString& line : lines) {
            const bool removed = line.startsWith(QLatin1String("- "));
            const bool added = line.startsWith(QLatin1String("+ "));
            if ((removed || added) != inChange) {
                if (!inChange && block.endsWith(QLatin1String("<br>")))
                    block.chop(4);  // <pre> starts a line itself
                block += inChange ? QStringLiteral("</pre>") : QStringLiteral("<pre style='margin:4px 0'>");
                inChange = !inChange;
            }
            const QString escaped = line.toHtmlEscaped();
            if (removed)
                block += "<span style='background-color:rgba(220,60,60,0.25)'>" + escaped + "</span>\n";
            else if (added)
                block += "<span style='background-color:rgba(60,180,90,0.25)'>" + escaped + "</span>\n";
            else
                block += escaped + "<br>";
        }
        if (inChange)
            block += QStringLiteral("</pre>");
        if (block.endsWith(QLatin1String("<br>")))
            block.chop(4);
        html += p == 0 ? "<p><b>" + block + "</b></p>" : "<p>" + block + "</p>";
    }
    return html;
}

bool confirmChange(QWidget* parent, const QString& title, const QString& text)
{
    QMessageBox box(QMessageBox::Question, title, confirmationHtml(text), QMessageBox::Yes | QMessageBox::Cancel, parent);
    box.setTextFormat(Qt::RichText);
    box.setDefaultButton(QMessageBox::Cancel);
    return box.exec() == QMessageBox::Yes;
}

}  // namespace etcdscope::ui
