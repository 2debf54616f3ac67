"""In a real browser: log in, pay a shop, transfer to a friend, find both in the history, and
download the receipt."""

import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.accounts.factories import PASSWORD
from tests.wallet.factories import MerchantFactory, WalletFactory, funded_wallet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pay_a_shop_transfer_to_a_friend_and_download_the_receipt(page, live_server, tmp_path):
    me = funded_wallet("500.00", user__full_name="测试用户")
    friend = WalletFactory(user__full_name="李小龙")
    MerchantFactory(name="瑞幸咖啡", code="LUCKIN01")
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", me.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("[data-testid=balances]")).to_contain_text("500.00")

    # Pay the shop by opening the page its QR code points to.
    page.goto(f"{base}/wallet/pay/m/LUCKIN01/")
    page.fill("#id_amount", "18.50")
    page.click("main form button[type=submit]")
    expect(page.locator("[data-testid=payee]")).to_have_text("瑞幸咖啡")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/wallet/transactions/\d+/$"))

    # Transfer to a friend: the confirmation shows the masked name.
    page.goto(f"{base}/wallet/transfer/")
    page.fill("#id_to", friend.user.email)
    page.fill("#id_amount", "100")
    page.fill("#id_note", "还你的饭钱")
    page.click("main form button[type=submit]")
    expect(page.locator("[data-testid=payee]")).to_have_text("李*龙")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/wallet/transactions/\d+/$"))

    page.goto(f"{base}/wallet/history/")
    history = page.locator("main .entries")
    expect(history).to_contain_text("瑞幸咖啡")
    expect(history).to_contain_text("李*龙")
    expect(history).to_contain_text("18.50")
    expect(history).to_contain_text("100.00")

    page.locator("main .entries a", has_text="李*龙").click()
    code = page.locator("[data-testid=receipt-code]").inner_text()
    with page.expect_download() as download_info:
        page.click("[data-testid=receipt-download]")
    receipt = tmp_path / "receipt.pdf"
    download_info.value.save_as(receipt)
    text = PdfReader(receipt).pages[0].extract_text()
    assert "-100.00 CNY" in text and "李*龙" in text and code in text

    page.goto(f"{base}/dashboard/")
    expect(page.locator("[data-testid=balances]")).to_contain_text("381.50")
