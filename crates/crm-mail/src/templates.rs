//! The texts of the product's mails, as plain text and as simple HTML.

use crm_domain::mail::{MailTemplates, OutgoingMail};

/// The product's mail texts; `product_name` appears in greetings, subjects and signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    product_name: String,
}

impl Templates {
    pub fn new(product_name: impl Into<String>) -> Self {
        Self {
            product_name: product_name.into(),
        }
    }

    pub fn product_name(&self) -> &str {
        &self.product_name
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self::new("CRM")
    }
}

/// The parts every code mail has; each is plain text, escaped when put into HTML.
struct CodeMail<'a> {
    to: &'a str,
    subject: String,
    name: &'a str,
    intro: String,
    code: &'a str,
    use_code: String,
    valid_minutes: u32,
    ignore: String,
}

impl MailTemplates for Templates {
    fn verification_code(
        &self,
        to: &str,
        name: &str,
        code: &str,
        valid_minutes: u32,
    ) -> OutgoingMail {
        let product = &self.product_name;
        self.render(CodeMail {
            to,
            subject: format!("Your verification code: {code}"),
            name,
            intro: format!("Welcome to {product}! Here is the code that confirms your email address:"),
            code,
            use_code: "Enter it on the verification page to activate your account.".to_owned(),
            valid_minutes,
            ignore: format!(
                "If you did not sign up for {product}, you can ignore this email: no account is activated without the code."
            ),
        })
    }

    fn password_reset_code(
        &self,
        to: &str,
        name: &str,
        code: &str,
        valid_minutes: u32,
    ) -> OutgoingMail {
        let product = &self.product_name;
        self.render(CodeMail {
            to,
            // Unlike the verification code, this code takes over an account, so it stays out of
            // the subject, which lock screens and notifications show.
            subject: format!("Your {product} password reset code"),
            name,
            intro: format!("Someone asked to reset the password of your {product} account. Here is your code:"),
            code,
            use_code: "Enter it together with your new password to finish the reset.".to_owned(),
            valid_minutes,
            ignore: "If you did not ask for a password reset, you can ignore this email: your password stays as it is.".to_owned(),
        })
    }

    fn invitation(
        &self,
        to: &str,
        name: &str,
        organization: &str,
        code: &str,
        valid_minutes: u32,
    ) -> OutgoingMail {
        let product = &self.product_name;
        self.render(CodeMail {
            to,
            subject: format!("You are invited to join {organization} on {product}"),
            name,
            intro: format!(
                "You have been invited to join {organization} on {product}. Here is the code to set your password:"
            ),
            code,
            use_code: "Enter it together with the password you choose to activate your account.".to_owned(),
            valid_minutes,
            ignore: "If you did not expect this invitation, you can ignore this email: no account is activated without the code.".to_owned(),
        })
    }

    fn invoice(
        &self,
        to: &str,
        organization: &str,
        number: &str,
        summary: &[String],
    ) -> OutgoingMail {
        self.invoice_mail(to, organization, number, summary)
    }

    fn proposal(
        &self,
        to: &str,
        organization: &str,
        title: &str,
        summary: &[String],
        body: &str,
    ) -> OutgoingMail {
        self.proposal_mail(to, organization, title, summary, body)
    }

    fn notification(&self, to: &str, name: &str, title: &str, body: &str) -> OutgoingMail {
        let product = &self.product_name;
        let greeting = match name.trim() {
            "" => "Hello,".to_owned(),
            name => format!("Hello {name},"),
        };
        let footer = format!(
            "You receive this mail because your {product} notification preferences ask for it."
        );
        let text = format!("{greeting}\n\n{title}:\n\n    {body}\n\n{footer}\n\n-- \n{product}\n");
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2933;\">\n<p>{g}</p>\n<p><strong>{t}</strong>: {b}</p>\n<p style=\"font-size:13px;color:#6b7280;\">{f}</p>\n<p style=\"font-size:12px;color:#9ca3af;\">{p}</p>\n</body></html>\n",
            t = escape_html(title),
            g = escape_html(&greeting),
            b = escape_html(body),
            f = escape_html(&footer),
            p = escape_html(product),
        );
        OutgoingMail {
            to: to.to_owned(),
            subject: format!("{title}: {body}"),
            text,
            html: Some(html),
            attachments: Vec::new(),
        }
    }
}

impl Templates {
    /// Body of [`MailTemplates::invoice`].
    fn invoice_mail(
        &self,
        to: &str,
        organization: &str,
        number: &str,
        summary: &[String],
    ) -> OutgoingMail {
        let lines = summary.join("\n");
        let text = format!(
            "Hello,\n\nplease find attached invoice {number} from {organization}.\n\n{lines}\n\nThank you.\n\n-- \n{organization}\n"
        );
        let items: String = summary
            .iter()
            .map(|l| format!("<li>{}</li>", escape_html(l)))
            .collect();
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{n}</title></head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2933;\">\n<p>Hello,</p>\n<p>please find attached invoice <strong>{n}</strong> from {o}.</p>\n<ul>{items}</ul>\n<p>Thank you.</p>\n</body></html>\n",
            n = escape_html(number),
            o = escape_html(organization),
        );
        OutgoingMail {
            to: to.to_owned(),
            subject: format!("Invoice {number} from {organization}"),
            text,
            html: Some(html),
            attachments: Vec::new(),
        }
    }

    /// Body of [`MailTemplates::proposal`]: the summary, then the proposal's Markdown as
    /// plain text (kept as written in both parts: Markdown reads well unrendered).
    fn proposal_mail(
        &self,
        to: &str,
        organization: &str,
        title: &str,
        summary: &[String],
        body: &str,
    ) -> OutgoingMail {
        let lines = summary.join("\n");
        let text = format!(
            "Hello,\n\nplease find below our proposal \"{title}\".\n\n{lines}\n\n{body}\n\nThank you.\n\n-- \n{organization}\n"
        );
        let items: String = summary
            .iter()
            .map(|l| format!("<li>{}</li>", escape_html(l)))
            .collect();
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2933;\">\n<p>Hello,</p>\n<p>please find below our proposal <strong>{t}</strong>.</p>\n<ul>{items}</ul>\n<div style=\"white-space:pre-wrap;\">{b}</div>\n<p>Thank you.</p>\n<p>{o}</p>\n</body></html>\n",
            t = escape_html(title),
            b = escape_html(body),
            o = escape_html(organization),
        );
        OutgoingMail {
            to: to.to_owned(),
            subject: format!("Proposal from {organization}: {title}"),
            text,
            html: Some(html),
            attachments: Vec::new(),
        }
    }

    fn render(&self, m: CodeMail<'_>) -> OutgoingMail {
        let greeting = match m.name.trim() {
            "" => "Hello,".to_owned(),
            name => format!("Hello {name},"),
        };
        let validity = format!(
            "The code is valid for {} and works only once.",
            minutes(m.valid_minutes)
        );
        let product = &self.product_name;

        let text = format!(
            "{greeting}\n\n{intro}\n\n    {code}\n\n{use_code}\n{validity}\n\n{ignore}\n\n-- \n{product}\n",
            intro = m.intro,
            code = m.code,
            use_code = m.use_code,
            ignore = m.ignore,
        );

        let html = format!(
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{subject}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f5f7;padding:24px 12px;">
<tr><td align="center">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:520px;background-color:#ffffff;border-radius:8px;">
<tr><td style="padding:32px;font-size:16px;line-height:24px;">
<p style="margin:0 0 16px 0;">{greeting}</p>
<p style="margin:0 0 24px 0;">{intro}</p>
<p style="margin:0 0 24px 0;text-align:center;"><span style="display:inline-block;padding:12px 24px;background-color:#eef2ff;border-radius:6px;font-family:'Courier New',Courier,monospace;font-size:32px;line-height:40px;font-weight:bold;letter-spacing:8px;color:#1e3a8a;">{code}</span></p>
<p style="margin:0 0 8px 0;">{use_code}</p>
<p style="margin:0 0 24px 0;">{validity}</p>
<p style="margin:0;font-size:13px;line-height:20px;color:#6b7280;">{ignore}</p>
</td></tr>
</table>
<p style="margin:16px 0 0 0;font-size:12px;color:#9ca3af;">{product}</p>
</td></tr>
</table>
</body>
</html>
"#,
            subject = escape_html(&m.subject),
            greeting = escape_html(&greeting),
            intro = escape_html(&m.intro),
            code = escape_html(m.code),
            use_code = escape_html(&m.use_code),
            validity = escape_html(&validity),
            ignore = escape_html(&m.ignore),
            product = escape_html(product),
        );

        OutgoingMail {
            to: m.to.to_owned(),
            subject: m.subject,
            text,
            html: Some(html),
            attachments: Vec::new(),
        }
    }
}

fn minutes(n: u32) -> String {
    if n == 1 {
        "1 minute".to_owned()
    } else {
        format!("{n} minutes")
    }
}

/// Escapes text for an HTML element or a quoted attribute.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = "<script>alert('x')</script> & \"Co\"";

    fn all(t: &Templates, name: &str, org: &str, code: &str) -> Vec<OutgoingMail> {
        vec![
            t.verification_code("ann@example.com", name, code, 10),
            t.password_reset_code("ann@example.com", name, code, 10),
            t.invitation("ann@example.com", name, org, code, 10),
        ]
    }

    #[test]
    fn every_mail_has_the_code_validity_and_ignore_note_in_both_parts() {
        for mail in all(&Templates::new("Acme CRM"), "Ann", "Globex", "123456") {
            let html = mail.html.clone().unwrap();
            assert_eq!(mail.to, "ann@example.com");
            for part in [&mail.text, &html] {
                assert!(part.contains("123456"), "{part}");
                assert!(part.contains("10 minutes"), "{part}");
                assert!(part.contains("ignore this email"), "{part}");
                assert!(part.contains("Hello Ann,"), "{part}");
                assert!(part.contains("Acme CRM"), "{part}");
            }
        }
    }

    #[test]
    fn subjects() {
        let t = Templates::new("Acme CRM");
        let [verify, reset, invite]: [OutgoingMail; 3] =
            all(&t, "Ann", "Globex", "123456").try_into().unwrap();
        assert_eq!(verify.subject, "Your verification code: 123456");
        assert_eq!(reset.subject, "Your Acme CRM password reset code");
        assert!(!reset.subject.contains("123456"));
        assert_eq!(invite.subject, "You are invited to join Globex on Acme CRM");
        assert!(invite.text.contains("join Globex on Acme CRM"));
    }

    #[test]
    fn html_escapes_every_interpolated_value() {
        let t = Templates::new(EVIL);
        for mail in all(&t, EVIL, EVIL, "12<b>34") {
            let html = mail.html.unwrap();
            assert!(!html.contains("<script>"), "{html}");
            assert!(!html.contains("<b>"), "{html}");
            assert!(
                html.contains(
                    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;"
                )
            );
            assert!(html.contains("12&lt;b&gt;34"));
            // The plain-text part is not HTML and carries the values as they are.
            assert!(mail.text.contains(EVIL));
        }
    }

    #[test]
    fn empty_name_and_singular_minute() {
        let mail = Templates::default().verification_code("a@example.com", "  ", "000111", 1);
        assert!(mail.text.starts_with("Hello,\n"));
        assert!(mail.text.contains("valid for 1 minute "));
    }

    #[test]
    fn notification_names_title_and_record_and_escapes_html() {
        let m = Templates::new("CRM").notification(
            "b@x.io",
            "Bea",
            "A lead was assigned to you",
            "<Acme>",
        );
        assert_eq!(m.to, "b@x.io");
        assert_eq!(m.subject, "A lead was assigned to you: <Acme>");
        assert!(m.text.contains("Hello Bea,") && m.text.contains("<Acme>"));
        let html = m.html.unwrap();
        assert!(html.contains("&lt;Acme&gt;") && !html.contains("<Acme>"));
    }

    #[test]
    fn a_proposal_carries_its_summary_and_markdown_and_escapes_html() {
        let m = Templates::new("CRM").proposal(
            "buyer@globex.example",
            "Acme & Co",
            "Roll-out <phase 1>",
            &["Total: 1,180.00 USD".to_string()],
            "## Scope\n\n- <b>two</b> workshops",
        );
        assert_eq!(m.to, "buyer@globex.example");
        assert_eq!(m.subject, "Proposal from Acme & Co: Roll-out <phase 1>");
        assert!(m.text.contains("Total: 1,180.00 USD"), "{}", m.text);
        assert!(
            m.text.contains("## Scope\n\n- <b>two</b> workshops"),
            "{}",
            m.text
        );
        let html = m.html.unwrap();
        assert!(
            html.contains("&lt;b&gt;two&lt;/b&gt;") && !html.contains("<b>two"),
            "{html}"
        );
        assert!(html.contains("Roll-out &lt;phase 1&gt;"), "{html}");
        assert!(html.contains("Acme &amp; Co"), "{html}");
    }

    #[test]
    fn escape_html_handles_all_special_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("plain ü"), "plain ü");
    }
}
