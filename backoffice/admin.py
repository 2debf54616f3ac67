from django.contrib import admin

from .models import Branch, StaffProfile


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "address")
    search_fields = ("code", "name")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("employee_number", "user", "branch")
    list_select_related = ("user", "branch")
    search_fields = ("employee_number", "user__email")
    autocomplete_fields = ("user",)
