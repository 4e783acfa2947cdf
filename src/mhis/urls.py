from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from mhis.access.views import home, password_change, two_factor
from mhis.api import api

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="access/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", two_factor, name="two_factor"),
    path("account/password/", password_change, name="password_change"),
    path("administration/", include("mhis.access.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("people/", include("mhis.registry.urls")),
    path("care/", include("mhis.care.urls")),
    path("indicators/", include("mhis.indicators.urls")),
    path("linkage/", include("mhis.linkage.urls")),
    path("surveillance/", include("mhis.surveillance.urls")),
    path("surveillance/", include("mhis.response.urls")),
    path("", include("mhis.portable.urls")),
    path("programmes/", include("mhis.programmes.urls")),
    path("imports/", include("mhis.intake.urls")),
    path("outreach/", include("mhis.outreach.urls")),
    path("notifications/", include("mhis.notifications.urls")),
    path("across-borders/", include("mhis.crossborder.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
