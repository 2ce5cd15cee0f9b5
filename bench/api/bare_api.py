"""`POST /bare/api` of the benchmark's anchors (`bench/api/bare.py`): what `/bare/counted` does, through a REST
framework view that authenticates DBooster's bearer token with simplejwt."""

from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

from bench.api.bare import count, store_row


class CountedApi(APIView):
    # Stateless: the token is verified and no user is read, the least an authenticated endpoint can do.
    authentication_classes = [JWTStatelessUserAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"status": "ok"})

    def post(self, request):
        count(request.META.get("REMOTE_ADDR", ""))
        return Response(store_row(request.data["query"]), status=status.HTTP_201_CREATED)
