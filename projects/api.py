from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dbooster.api import paginated_list, paginated_response
from dbooster.permissions import OrganizationRole
from projects import selectors, services
from projects.models import Project


class ProjectSerializer(serializers.ModelSerializer):
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
