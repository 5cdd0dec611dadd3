//! `/job-postings`.

use crate::access::Auth;
use crate::app::AppState;
use crate::http::{Body, IfMatch, created, no_content, ok_etag};
use crate::problem::ApiError;
use crate::routes::dto::PageDto;
use crate::routes::handlers::handlers;
use crate::routes::perms::{JobPostingsDelete, JobPostingsRead, JobPostingsWrite};
use actix_web::{HttpResponse, web};
use crm_hr::recruitment::postings::{
    JOB_POSTING_LIST_SPEC, JobPosting, JobPostingId, JobPostingInput, JobPostingPatch,
};
use uuid::Uuid;

crate::list_params::list_params! {
    /// `GET /job-postings`.
    JobPostings = crm_hr::recruitment::postings::JOB_POSTING_LIST_SPEC, search = "title, location and description";
}

handlers! { service: hr.job_postings, id: JobPostingId, location: "/api/v1/job-postings";
    #[utoipa::path(get, path = "/job-postings", tag = "job-postings",
        params(JobPostings),
        responses((status = 200, description = "One page", body = PageDto<JobPosting>)))]
    list list_job_postings(JobPostingsRead, JOB_POSTING_LIST_SPEC);

    /// A `draft` unless `status` says otherwise; only an `open` posting takes applications.
    /// `salary_max` not below `salary_min`, and a salary needs `salary_currency` (422).
    #[utoipa::path(post, path = "/job-postings", tag = "job-postings", request_body = JobPostingInput,
        responses((status = 201, description = "Created", body = JobPosting)))]
    create create_job_posting(JobPostingsWrite, JobPostingInput);

    #[utoipa::path(get, path = "/job-postings/{id}", tag = "job-postings", params(("id" = Uuid, Path)),
        responses((status = 200, description = "The posting (with ETag)", body = JobPosting)))]
    get get_job_posting(JobPostingsRead);

    #[utoipa::path(patch, path = "/job-postings/{id}", tag = "job-postings",
        request_body = JobPostingPatch,
        params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
        responses((status = 200, description = "The updated posting", body = JobPosting)))]
    update update_job_posting(JobPostingsWrite, JobPostingPatch);

    /// A posting with applications is kept (409 `job-posting-in-use`): close it instead.
    #[utoipa::path(delete, path = "/job-postings/{id}", tag = "job-postings", params(("id" = Uuid, Path)),
        responses((status = 204, description = "Deleted")))]
    delete delete_job_posting(JobPostingsDelete);
}
