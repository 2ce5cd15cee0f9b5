from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dbooster.api import ModelSerializer, paginated_list, paginated_response
from dbooster.page_cache import answered_from_memory
from dbooster.permissions import OrganizationRole
from dbooster.roles import Role
from projects import selectors, services
from projects.models import Project


class ProjectSerializer(ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "name", "description", "organization", "created_at", "updated_at"]
        read_only_fields = fields


class ProjectInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("The name cannot be blank.")
        return value


class ProjectUpdateSerializer(ProjectInputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ProjectListView(APIView):
    permission_classes = [OrganizationRole]

    @paginated_list(ProjectSerializer, tags=["projects"])
    @answered_from_memory  # the organization's projects' rows only (dbooster.page_cache)
    def get(self, request):
        return paginated_response(
            selectors.project_list(org=request.user.organization), ProjectSerializer, request, self
        )

    @extend_schema(request=ProjectInputSerializer, responses={201: ProjectSerializer}, tags=["projects"])
    def post(self, request):
        data = ProjectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(
            org=request.user.organization, created_by=request.user, request=request, **data.validated_data
        )
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailView(APIView):
    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: ProjectSerializer}, tags=["projects"])
    def get(self, request, pk):
        return Response(ProjectSerializer(selectors.project_get(org=request.user.organization, pk=pk)).data)

    @extend_schema(request=ProjectUpdateSerializer, responses={200: ProjectSerializer}, tags=["projects"])
    def patch(self, request, pk):
        project = selectors.project_get(org=request.user.organization, pk=pk)
        data = ProjectUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        project = services.project_update(project=project, actor=request.user, request=request, **data.validated_data)
        return Response(ProjectSerializer(project).data)

    @extend_schema(responses={204: None}, tags=["projects"])
    def delete(self, request, pk):
        project = selectors.project_get(org=request.user.organization, pk=pk)
        services.project_delete(project=project, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CurrentProjectSerializer(serializers.Serializer):
    project = serializers.IntegerField(help_text="The project requests without a project now use.")


class CurrentProjectView(APIView):
    permission_classes = [OrganizationRole]
    write_role = Role.VIEWER  # a personal preference: every role chooses where it works

    @extend_schema(
        request=None,
        responses={200: CurrentProjectSerializer},
        tags=["projects"],
        description="Make this project your current one: `POST /query/explain`, `/query/optimize`, "
        "`/metadata/sync` and `/repos/scan` without a project run on it.",
    )
    def post(self, request, pk):
        project = selectors.project_get(org=request.user.organization, pk=pk)
        services.set_current_project(user=request.user, project=project)
        return Response({"project": project.pk})
