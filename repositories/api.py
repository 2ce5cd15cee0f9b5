from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from dbooster.api import paginated_list, paginated_response
from dbooster.permissions import OrganizationRole
from dbooster.ratelimit import RateLimit
from dbooster.verified import VerifiedEmail
from projects import selectors as project_selectors
from projects.selectors import project_or_sole
from repositories import github, selectors, services
from repositories.models import ExtractedQuery, FileProblem, QueryOccurrence, Repository, ScanRun


class GitHubRepositorySerializer(serializers.Serializer):
    name = serializers.CharField()
    full_name = serializers.CharField()
    private = serializers.BooleanField()
    default_branch = serializers.CharField()
    url = serializers.URLField()
    pushed_at = serializers.DateTimeField(allow_null=True)


class RepositorySerializer(serializers.ModelSerializer):
    connected_by = serializers.EmailField(source="connected_by.email", read_only=True, default=None)
    last_scan = serializers.SerializerMethodField()

    class Meta:
        model = Repository
        fields = [
            "id",
            "project",
            "provider",
            "full_name",
            "url",
            "default_branch",
            "private",
            "connected_by",
            "last_scan",
            "created_at",
        ]
        read_only_fields = fields

    def get_last_scan(self, obj) -> dict | None:
        scan = obj.last_scan
        if scan is None:
            return None
        return {"id": scan.pk, "status": scan.status, "finished_at": scan.finished_at}


class RepositoryConnectSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=1000)
    full_name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    default_branch = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    private = serializers.BooleanField(required=False, default=False)


class ScanSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()

    class Meta:
        model = ScanRun
        fields = [
            "id",
            "project",
            "repository",
            "source",
            "repo_url",
            "branch",
            "upload_name",
            "status",
            "progress",
            "counts",
            "files_total",
            "files_done",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, obj) -> dict:
        percent = round(100 * obj.files_done / obj.files_total, 1) if obj.files_total else 0.0
        if obj.status == ScanRun.Status.SUCCEEDED:
            percent = 100.0
        return {"files_done": obj.files_done, "files_total": obj.files_total, "percent": percent}

    def get_counts(self, obj) -> dict:
        return {
            "queries": obj.queries_found,
            "occurrences": obj.occurrences_found,
            "rejected": obj.rejected_found,
            "problems": obj.problems_found,
            "bytes_scanned": obj.bytes_scanned,
        }


class FileProblemSerializer(serializers.ModelSerializer):
    class Meta:
        model = FileProblem
        fields = ["file_path", "reason"]


class RejectedReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()
    count = serializers.IntegerField()


class ScanDetailSerializer(ScanSerializer):
    """One scan, with the files it could not analyse (path and reason) and its rejected candidates
    counted by reason."""

    problems = serializers.SerializerMethodField()
    rejected_by_reason = serializers.SerializerMethodField()

    class Meta(ScanSerializer.Meta):
        fields = [*ScanSerializer.Meta.fields, "problems", "rejected_by_reason"]
        read_only_fields = fields

    @extend_schema_field(FileProblemSerializer(many=True))
    def get_problems(self, obj) -> list:
        return FileProblemSerializer(selectors.scan_problems(scan=obj), many=True).data

    @extend_schema_field(RejectedReasonSerializer(many=True))
    def get_rejected_by_reason(self, obj) -> list:
        return RejectedReasonSerializer(selectors.rejected_by_reason(scan=obj), many=True).data


class ScanStartSerializer(serializers.Serializer):
    repo_url = serializers.CharField(max_length=1000)
    branch = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    project = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Default: the organization's only project."
    )


class ScanUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    project = serializers.IntegerField()


class OccurrenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = QueryOccurrence
        fields = ["id", "scan", "file_path", "line", "column", "language", "context", "interpolations"]


class QuerySerializer(serializers.ModelSerializer):
    occurrences = OccurrenceSerializer(many=True, read_only=True)

    class Meta:
        model = ExtractedQuery
        fields = [
            "id",
            "fingerprint",
            "normalized_text",
            "sql",
            "statement_type",
            "tables_read",
            "tables_written",
            "first_seen_scan",
            "created_at",
            "occurrences",
        ]


class GitHubRepositoryListView(APIView):
    permission_classes = [OrganizationRole]

    @extend_schema(
        responses={
            200: GitHubRepositorySerializer(many=True),
            400: OpenApiResponse(description="No GitHub account is connected to the user."),
        },
        tags=["repositories"],
        description="The signed-in user's GitHub repositories (401 on a bad token, 429 on a rate limit).",
    )
    def get(self, request):
        token = github.require_token(request.user)
        return Response(GitHubRepositorySerializer(github.list_repositories(token=token), many=True).data)


class ProjectRepositoryListView(APIView):
    permission_classes = [OrganizationRole]

    @paginated_list(RepositorySerializer, tags=["repositories"])
    def get(self, request, pk):
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
        return paginated_response(selectors.repository_list(project=project), RepositorySerializer, request, self)

    @extend_schema(request=RepositoryConnectSerializer, responses={201: RepositorySerializer}, tags=["repositories"])
    def post(self, request, pk):
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
        data = RepositoryConnectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        repository = services.repository_connect(
            project=project, actor=request.user, request=request, **data.validated_data
        )
        return Response(RepositorySerializer(repository).data, status=status.HTTP_201_CREATED)


class ScanStartView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    throttle_classes = [RateLimit]
    rate_limit_scope = "scans"

    @extend_schema(
        request=ScanStartSerializer,
        responses={202: ScanSerializer},
        tags=["repositories"],
        description="Queue a scan; the same repository and branch already running is joined (`joined: true`).",
    )
    def post(self, request):
        data = ScanStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_or_sole(org=request.user.organization, pk=data.validated_data["project"])
        scan, joined = services.scan_start(
            project=project,
            repo_url=data.validated_data["repo_url"],
            branch=data.validated_data["branch"],
            actor=request.user,
            request=request,
        )
        body = ScanSerializer(scan).data
        body["joined"] = joined
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ScanUploadView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    throttle_classes = [RateLimit]
    rate_limit_scope = "scans"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ScanUploadSerializer}, responses={202: ScanSerializer}, tags=["repositories"]
    )
    def post(self, request):
        data = ScanUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_selectors.project_get(org=request.user.organization, pk=data.validated_data["project"])
        scan = services.scan_start_upload(
            project=project, uploaded=data.validated_data["file"], actor=request.user, request=request
        )
        return Response(ScanSerializer(scan).data, status=status.HTTP_202_ACCEPTED)


class ScanDetailView(APIView):
    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: ScanDetailSerializer}, tags=["repositories"])
    def get(self, request, pk):
        return Response(ScanDetailSerializer(selectors.scan_get(org=request.user.organization, pk=pk)).data)


class ProjectScanListView(APIView):
    permission_classes = [OrganizationRole]

    @paginated_list(ScanSerializer, tags=["repositories"])
    def get(self, request, pk):
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
        return paginated_response(selectors.scan_list(project=project), ScanSerializer, request, self)


class ProjectQueryListView(APIView):
    permission_classes = [OrganizationRole]

    @paginated_list(
        QuerySerializer,
        parameters=[
            OpenApiParameter("table", str, description="Only queries reading or writing this table."),
            OpenApiParameter("file", str, description="Only queries occurring in files whose path contains this."),
            OpenApiParameter("q", str, description="Text the normalized query contains."),
            OpenApiParameter("scan", int, description="One scan's queries (default: the latest scan of each source)."),
        ],
        tags=["repositories"],
    )
    def get(self, request, pk):
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
        queries = selectors.query_list(
            project=project,
            table=request.query_params.get("table", ""),
            file=request.query_params.get("file", ""),
            q=request.query_params.get("q", ""),
            scan=request.query_params.get("scan"),
        )
        return paginated_response(queries, QuerySerializer, request, self)
