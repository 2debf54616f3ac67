"""A test-only URLconf: the real site plus pages that each have one deliberate defect.

test_checks_catch_defects.py points ROOT_URLCONF here and shows that each guardrail check
catches its defect. The pages extend base.html like real ones, so everything else on them
passes; /broken/ links to all of them, and /broken/unlisted/ is reached only through a link.
"""

from csp.decorators import csp_exempt
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site_urlpatterns


def _page(body: str):
    source = (
        '{% extends "base.html" %}{% load static %}{% block title %}故障页面{% endblock %}'
        f"{{% block content %}}{body}{{% endblock %}}"
    )
    template = engines["django"].from_string(source)

    def view(request):
        return HttpResponse(template.render({}, request))

    return view


PAGES = {
    "missing-alt": '<h1>缺少替代文本</h1><img src="{% static \'img/logo.svg\' %}" width="64" height="64">',
    "english": "<h1>未翻译的句子</h1><p>Your transfer has been sent to the payee.</p>",
    "wide-table": '<h1>过宽的表格</h1><table width="2000"><tr><td>金额</td><td>日期</td></tr></table>',
    "no-csrf": '<h1>没有令牌的表单</h1><form method="post"><button type="submit">提交</button></form>',
    "no-csp": "<h1>没有内容安全策略</h1><p>这个页面缺少安全标头。</p>",
    "unlisted": "<h1>只能通过链接找到</h1><p>起始地址里没有这个页面。</p>",
}
# The index links to every broken page; it has no defect of its own (the control page).
LINKS = {
    **{name: f"页面 {number}" for number, name in enumerate(PAGES, start=1)},
    "server-error": "服务器错误",
    "bare": "空白页面",
    "redirect-loop": "循环跳转",
}


def server_error(request):
    raise RuntimeError("a deliberate server error for the guardrail tests")


def bare_page(request):
    """No lang, an empty title, two main landmarks: a page without base.html."""
    return HttpResponse(
        "<!DOCTYPE html><html><head><title></title></head>"
        "<body><main><h1>一</h1></main><main><p>二</p></main></body></html>"
    )


def redirect_loop(request):
    return redirect("broken-redirect-loop")


index = _page(
    "<h1>故障页面</h1><ul>"
    + "".join(f'<li><a href="/broken/{name}/">{text}</a></li>' for name, text in LINKS.items())
    + "</ul>"
)

urlpatterns = [
    path("broken/", index, name="broken-index"),
    path("broken/missing-alt/", _page(PAGES["missing-alt"]), name="broken-missing-alt"),
    path("broken/english/", _page(PAGES["english"]), name="broken-english"),
    path("broken/wide-table/", _page(PAGES["wide-table"]), name="broken-wide-table"),
    path("broken/no-csrf/", _page(PAGES["no-csrf"]), name="broken-no-csrf"),
    path("broken/no-csp/", csp_exempt()(_page(PAGES["no-csp"])), name="broken-no-csp"),
    path("broken/server-error/", server_error, name="broken-server-error"),
    path("broken/bare/", bare_page, name="broken-bare"),
    path("broken/redirect-loop/", redirect_loop, name="broken-redirect-loop"),
    path("broken/unlisted/", _page(PAGES["unlisted"])),  # no name: only a link leads here
    *site_urlpatterns,
]
