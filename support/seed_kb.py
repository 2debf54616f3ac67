"""seed_demo's knowledge base: categories, 20+ FAQ entries, 3 illustrated tutorials and the
security guide, in Simplified Chinese and English. Idempotent: articles are keyed by slug and
left alone once they exist (an admin may have edited them)."""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from . import kb
from .models_kb import Article, KbCategory, TutorialStep

CATEGORIES = [
    ("account", "账户与登录", "Account and login"),
    ("topup", "充值与提现", "Top up and withdraw"),
    ("payments", "付款与转账", "Payments and transfers"),
    ("cards", "银行卡绑定", "Cards and bank accounts"),
    ("security", "安全", "Security"),
    ("rewards", "优惠与积分", "Rewards and points"),
]

# (slug, category, zh title, zh body, en title, en body)
FAQ = [
    (
        "forgot-password",
        "account",
        "忘记登录密码怎么办？",
        "在登录页点击“忘记密码”，输入注册邮箱，按邮件中的链接设置新密码。链接 24 小时内有效。",
        "I forgot my login password. What do I do?",
        "On the login page choose “Forgot password”, enter your email and follow the link we send to set a new password. The link works for 24 hours.",
    ),
    (
        "change-email",
        "account",
        "如何修改绑定的邮箱？",
        "登录后进入“安全”页面，选择修改邮箱。为保护您的账户，需要先输入当前密码。",
        "How do I change my email address?",
        "Log in, open Security and choose to change your email. You confirm with your current password first.",
    ),
    (
        "two-step-login",
        "account",
        "如何开启两步登录（第二重验证）？",
        "进入“安全”页面，选择“设置两步登录”，用身份验证器应用扫描二维码并输入 6 位验证码。也可以添加通行密钥。",
        "How do I turn on two-step login?",
        "Open Security, choose “Set up two-step login”, scan the QR code with an authenticator app and enter the 6-digit code. You can also add a passkey.",
    ),
    (
        "account-locked",
        "account",
        "登录失败次数过多被锁定怎么办？",
        "连续多次输错密码后账户会被暂时锁定 15 分钟。请稍后再试，或重置密码。",
        "My account is locked after too many failed logins.",
        "After several wrong passwords in a row your login is locked for 15 minutes. Wait and try again, or reset your password.",
    ),
    (
        "close-account",
        "account",
        "如何注销钱包账户？",
        "余额为零后，可在“安全”页面申请注销账户。注销后交易记录按监管要求保存。",
        "How do I close my wallet account?",
        "When your balance is zero, you can close your account from the Security page. Your transaction records are kept as the law requires.",
    ),
    (
        "topup-how",
        "topup",
        "如何给钱包充值？",
        "在“我的钱包”点击“充值”，选择已绑定的银行卡或账户，输入金额确认。银行确认后到账。",
        "How do I top up my wallet?",
        "On My wallet choose Top up, pick a linked card or bank account, enter the amount and confirm. The money arrives when your bank confirms.",
    ),
    (
        "topup-pending",
        "topup",
        "充值一直显示处理中？",
        "充值需要等待银行确认，通常几分钟内完成。若银行拒绝，资金不会从您的银行账户扣除。",
        "My top-up is still pending.",
        "A top-up waits for your bank to confirm, usually within minutes. If the bank declines, nothing is taken from your bank account.",
    ),
    (
        "withdraw-how",
        "topup",
        "如何提现到银行卡？",
        "在“我的钱包”点击“提现”，选择银行账户并输入金额。若银行退回，款项会自动退回钱包。",
        "How do I withdraw to my bank account?",
        "On My wallet choose Withdraw, pick your bank account and enter the amount. If the bank returns it, the money comes back to your wallet automatically.",
    ),
    (
        "cash-withdrawal-code",
        "topup",
        "如何在网点取现？",
        "在钱包中生成“取现码”，10 分钟内到网点柜台出示，柜员核对身份后付现。",
        "How do I take out cash at a branch?",
        "Create a cash withdrawal code in your wallet and show it at a branch counter within 10 minutes. The teller checks your identity and pays you.",
    ),
    (
        "limits",
        "payments",
        "单笔和每日限额是多少？",
        "限额取决于您的实名认证等级。验证手机号和身份证件后可提高限额。",
        "What are my payment limits?",
        "Your limits per payment, per day and per month depend on your verification level. Verify your phone and ID to raise them.",
    ),
    (
        "pay-shop",
        "payments",
        "如何向商户付款？",
        "点击“付款”，输入商户编号或扫描商户二维码，核对商户名称和金额后确认。",
        "How do I pay a shop?",
        "Choose Pay, enter the shop code or scan its QR code, check the shop name and amount, then confirm.",
    ),
    (
        "transfer-friend",
        "payments",
        "如何转账给朋友？",
        "点击“转账”，输入对方的邮箱、手机号或钱包账号和金额。大额转账需要二次验证。",
        "How do I send money to a friend?",
        "Choose Transfer and enter their email, phone or wallet handle and the amount. Large transfers need a second-factor check.",
    ),
    (
        "wrong-transfer",
        "payments",
        "转错账了怎么办？",
        "请立即联系客服并提供交易编号。我们会联系收款方协助退回，但无法直接撤销已完成的转账。",
        "I sent money to the wrong person.",
        "Contact us at once with the transaction number. We will contact the recipient to help return it, but a completed transfer cannot simply be undone.",
    ),
    (
        "receipt",
        "payments",
        "如何下载电子回单？",
        "在交易记录中打开一笔交易，点击“下载回单”即可获得 PDF 回单，回单带有验证码。",
        "How do I get a receipt?",
        "Open a transaction in your history and choose Download receipt for a PDF with a verification code.",
    ),
    (
        "bind-card",
        "cards",
        "如何绑定银行卡？",
        "在“银行卡和账户”中添加银行卡，输入持卡人姓名和卡号。我们只保存卡号后四位。",
        "How do I link a bank card?",
        "In Cards and accounts add a card with the holder's name and number. We keep only its last four digits.",
    ),
    (
        "verify-account",
        "cards",
        "绑定银行账户为什么要验证小额打款？",
        "我们会向您的账户存入两笔小额款项，您输入金额后即可证明账户属于您本人。",
        "Why do I confirm small deposits to link a bank account?",
        "We send two small deposits to your account; entering their amounts proves the account is yours.",
    ),
    (
        "remove-card",
        "cards",
        "如何解绑银行卡？",
        "在“银行卡和账户”中选择该卡并点击“移除”。进行中的充值或提现完成前无法移除。",
        "How do I remove a card?",
        "In Cards and accounts choose the card and Remove. It cannot be removed while a top-up or withdrawal with it is in progress.",
    ),
    (
        "frozen-wallet",
        "security",
        "钱包被冻结了怎么办？",
        "冻结的钱包无法收付款。请联系客服或携带身份证件到网点办理解冻。",
        "My wallet is frozen.",
        "A frozen wallet can neither pay nor receive. Contact us or visit a branch with your ID to unfreeze it.",
    ),
    (
        "suspicious-sms",
        "security",
        "收到可疑短信或电话怎么办？",
        "不要点击链接，不要透露密码或验证码。银行绝不会索要您的验证码。请通过官方热线 95588 核实。",
        "I received a suspicious SMS or call.",
        "Do not open links or give your password or codes. The bank never asks for verification codes. Check with our official hotline 95588.",
    ),
    (
        "new-device",
        "security",
        "为什么收到“新设备登录”提醒？",
        "每次在新设备登录时我们都会提醒您。如果不是您本人操作，请立即修改密码并联系客服。",
        "Why did I get a “login from a new device” alert?",
        "We tell you every time someone logs in from a new device. If it was not you, change your password now and contact us.",
    ),
    (
        "points",
        "rewards",
        "积分如何获得和使用？",
        "在商户付款可获得积分，积分可按规则兑换为钱包余额，积分有有效期。",
        "How do I earn and use points?",
        "You earn points when you pay shops and can redeem them for wallet balance. Points expire after a while.",
    ),
    (
        "vouchers",
        "rewards",
        "优惠券怎么使用？",
        "付款时系统自动选择可用的优惠券。每张优惠券有使用条件和有效期。",
        "How do vouchers work?",
        "When you pay, an eligible voucher is applied automatically. Each voucher has conditions and an expiry date.",
    ),
]

# (slug, category, zh title, en title, zh summary, en summary, steps: [(zh title, zh body, en title, en body)])
TUTORIALS = [
    (
        "tutorial-top-up",
        "topup",
        "图文教程：给钱包充值",
        "Tutorial: top up your wallet",
        "三步从银行卡充值到钱包。",
        "Three steps from your bank card to your wallet.",
        [
            (
                "打开“我的钱包”，点击“充值”",
                "登录后首页即为“我的钱包”。",
                "Open My wallet and choose Top up",
                "My wallet is the first page after you log in.",
            ),
            (
                "选择银行卡并输入金额",
                "选择已绑定的银行卡或账户，输入充值金额。",
                "Pick a card and enter the amount",
                "Choose a linked card or bank account and enter how much to add.",
            ),
            (
                "确认并等待银行处理",
                "确认后，银行处理完成即到账，您会收到消息通知。",
                "Confirm and wait for the bank",
                "After you confirm, the money arrives when your bank has processed it; we send you a message.",
            ),
        ],
    ),
    (
        "tutorial-pay-shop",
        "payments",
        "图文教程：扫码向商户付款",
        "Tutorial: pay a shop by QR code",
        "安全地向商户付款。",
        "Pay a shop safely.",
        [
            ("点击“付款”", "在“我的钱包”中点击“付款”。", "Choose Pay", "On My wallet choose Pay."),
            (
                "扫描或输入商户编号",
                "扫描商户的二维码，或手动输入商户编号。",
                "Scan or type the shop code",
                "Scan the shop's QR code or type its code.",
            ),
            (
                "核对商户名称和金额",
                "付款前务必核对商户名称和金额是否正确。",
                "Check the name and amount",
                "Always check the shop name and amount before paying.",
            ),
            (
                "确认付款",
                "确认后即完成付款，可在交易记录中查看回单。",
                "Confirm",
                "The payment is done; its receipt is in your history.",
            ),
        ],
    ),
    (
        "tutorial-two-step-login",
        "security",
        "图文教程：开启两步登录",
        "Tutorial: turn on two-step login",
        "给账户加上第二道锁。",
        "Add a second lock to your account.",
        [
            (
                "进入“安全”页面",
                "点击页面顶部的“安全”。",
                "Open Security",
                "Choose Security at the top of the page.",
            ),
            (
                "扫描二维码",
                "用手机上的身份验证器应用扫描页面上的二维码。",
                "Scan the QR code",
                "Scan the QR code with an authenticator app on your phone.",
            ),
            (
                "输入 6 位验证码",
                "输入应用显示的 6 位验证码完成设置，并妥善保存备用码。",
                "Enter the 6-digit code",
                "Enter the code the app shows, then keep your backup codes somewhere safe.",
            ),
        ],
    ),
]

GUIDE = [
    (
        "guide-passwords",
        "保护好您的密码",
        "Protect your password",
        "使用至少 10 位、与其他网站不同的密码。不要把密码告诉任何人，包括自称银行工作人员的人。定期检查“安全”页面中的登录设备。",
        "Use a password of at least 10 characters that you use nowhere else. Never tell anyone your password, including people who say they work for the bank. Check the devices logged in to your account on the Security page.",
    ),
    (
        "guide-second-factor",
        "开启第二重验证",
        "Turn on a second factor",
        "开启两步登录或通行密钥后，即使密码泄露，他人也无法登录。大额转账也需要第二重验证。请把备用码保存在安全的地方。",
        "With two-step login or a passkey, nobody can log in with your password alone. Large transfers need the second factor too. Keep your backup codes somewhere safe.",
    ),
    (
        "guide-phishing",
        "识别钓鱼诈骗",
        "Recognise phishing",
        "<p>骗子常冒充银行、客服、快递或公安。警惕以下情况：</p><ul><li>要求您点击短信中的链接“解冻账户”或“领取退款”；</li><li>要求您转账到“安全账户”；</li><li>催促您立即操作。</li></ul><p>遇到可疑情况，请挂断电话，拨打官方热线 95588 核实。</p>",
        "<p>Fraudsters pose as the bank, support staff, couriers or the police. Be wary when someone:</p><ul><li>asks you to open a link in an SMS to “unfreeze your account” or “claim a refund”;</li><li>asks you to move money to a “safe account”;</li><li>hurries you to act now.</li></ul><p>When in doubt, hang up and call our official hotline 95588.</p>",
    ),
    (
        "guide-bank-never-asks",
        "银行绝不会向您索要",
        "What the bank never asks for",
        "<ul><li>您的登录密码或支付密码；</li><li>短信验证码或身份验证器验证码；</li><li>银行卡的完整卡号和卡背面的安全码；</li><li>远程控制您的手机或电脑；</li><li>把钱转到任何“安全账户”。</li></ul>",
        "<ul><li>your login or payment password;</li><li>SMS or authenticator codes;</li><li>your full card number and security code (CVV);</li><li>remote control of your phone or computer;</li><li>moving money to any “safe account”.</li></ul>",
    ),
]

STEP_COLOURS = ["#0b5cad", "#1c7c54", "#b3541e", "#6741d9"]


def tutorial_image_path(slug: str, number: int) -> str:
    return f"img/kb/{slug}-{number}.png"


def tutorial_images_ensure() -> None:
    """Draw the tutorials' step pictures (a phone screen with the step number) into static/, once.
    They are committed, so a fresh clone already has them; this redraws only missing ones."""
    from PIL import Image, ImageDraw, ImageFont

    folder = Path(settings.BASE_DIR) / "static"
    for slug, *_rest, steps in TUTORIALS:
        for number in range(1, len(steps) + 1):
            target = folder / tutorial_image_path(slug, number)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            colour = STEP_COLOURS[(number - 1) % len(STEP_COLOURS)]
            image = Image.new("RGB", (480, 300), "#eef2f6")
            draw = ImageDraw.Draw(image)
            draw.rounded_rectangle((170, 20, 310, 290), radius=18, fill="#1b1f24")
            draw.rounded_rectangle((180, 40, 300, 270), radius=8, fill="#ffffff")
            draw.rectangle((180, 40, 300, 70), fill=colour)
            for row in range(4):
                top = 85 + row * 42
                highlight = row == (number - 1) % 4
                draw.rounded_rectangle(
                    (192, top, 288, top + 30),
                    radius=6,
                    fill=colour if highlight else "#d5dbe2",
                    outline="#d9480f" if highlight else None,
                    width=3,
                )
            font = ImageFont.load_default(size=64)
            draw.ellipse((40, 100, 140, 200), fill=colour)
            draw.text((90, 150), str(number), fill="#ffffff", font=font, anchor="mm")
            draw.polygon([(320, 150), (360, 130), (360, 170)], fill=colour)
            image.save(target, format="PNG", optimize=True)


def _article_ensure(*, slug, kind, category, position, texts, steps=()):
    article = Article.objects.filter(slug=slug).first()
    if article is not None:
        return article
    article = Article.objects.create(
        slug=slug,
        kind=kind,
        category=category,
        position=position,
        status=Article.Status.PUBLISHED,
        **texts,
    )
    for number, step in enumerate(steps, start=1):
        TutorialStep.objects.create(article=article, number=number, **step)
    return kb.article_index_rebuild(article=article)


@transaction.atomic
def demo_kb_ensure() -> None:
    tutorial_images_ensure()
    categories = {}
    for position, (slug, zh, en) in enumerate(CATEGORIES):
        categories[slug], _created = KbCategory.objects.get_or_create(
            slug=slug, defaults={"name_zh_hans": zh, "name_en": en, "position": position}
        )
    for position, (slug, category, zh_title, zh_body, en_title, en_body) in enumerate(FAQ):
        _article_ensure(
            slug=slug,
            kind=Article.Kind.FAQ,
            category=categories[category],
            position=position,
            texts={
                "title_zh_hans": zh_title,
                "title_en": en_title,
                "body_zh_hans": zh_body,
                "body_en": en_body,
            },
        )
    for position, (slug, category, zh_title, en_title, zh_sum, en_sum, steps) in enumerate(
        TUTORIALS
    ):
        _article_ensure(
            slug=slug,
            kind=Article.Kind.TUTORIAL,
            category=categories[category],
            position=position,
            texts={
                "title_zh_hans": zh_title,
                "title_en": en_title,
                "summary_zh_hans": zh_sum,
                "summary_en": en_sum,
            },
            steps=[
                {
                    "title_zh_hans": s_zh,
                    "body_zh_hans": b_zh,
                    "title_en": s_en,
                    "body_en": b_en,
                    "image_alt_zh_hans": f"第 {number} 步：{s_zh}",
                    "image_alt_en": f"Step {number}: {s_en}",
                    "image_path": tutorial_image_path(slug, number),
                }
                for number, (s_zh, b_zh, s_en, b_en) in enumerate(steps, start=1)
            ],
        )
    for position, (slug, zh_title, en_title, zh_body, en_body) in enumerate(GUIDE):
        _article_ensure(
            slug=slug,
            kind=Article.Kind.GUIDE,
            category=categories["security"],
            position=position,
            texts={
                "title_zh_hans": zh_title,
                "title_en": en_title,
                "body_zh_hans": zh_body,
                "body_en": en_body,
            },
        )


def demo_notice_ensure() -> None:
    """One security notice in force, published by the demo risk officer (banner and inboxes)."""
    from django.contrib.auth import get_user_model

    from . import notices
    from .models_kb import Notice

    officer = get_user_model().objects.filter(email="risk@demo.example").first()
    if officer is None or Notice.objects.exists():
        return
    notice = Notice.objects.create(
        kind=Notice.Kind.SECURITY,
        title_zh_hans="警惕冒充银行客服的诈骗电话",
        title_en="Beware of calls from people posing as the bank",
        body_zh_hans="近期有不法分子冒充银行客服，以“账户异常”“退款”为由索要验证码。银行绝不会索要您的密码或验证码。如有疑问，请拨打官方热线 95588。",
        body_en="Fraudsters are calling customers as “bank support”, claiming an account problem or a refund, and asking for codes. The bank never asks for your password or codes. When in doubt, call our official hotline 95588.",
    )
    notices.notice_publish(notice=notice, acting_user=officer)
