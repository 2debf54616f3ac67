from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from .models import StaffProfile
from .roles import ROLE_LABELS
from .selectors import staff_roles


@staff_member_required(login_url="account_login")
def home(request):
    profile = StaffProfile.objects.select_related("branch").filter(user=request.user).first()
    roles = [ROLE_LABELS[r] for r in staff_roles(request.user)]
    return render(request, "backoffice/home.html", {"profile": profile, "roles": roles})
