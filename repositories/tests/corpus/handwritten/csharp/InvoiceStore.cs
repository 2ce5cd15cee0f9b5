using Dapper;
using Npgsql;

namespace Acme.Billing;

public class InvoiceStore
{
    private const string Unpaid = @"
        SELECT id, total
        FROM invoices
        WHERE paid_at IS NULL AND customer_id = @customerId";

    public Task<IEnumerable<Invoice>> UnpaidFor(long customerId) =>
        _db.QueryAsync<Invoice>(Unpaid, new { customerId });

    public Task<int> Pay(long id) =>
        _db.ExecuteAsync("UPDATE invoices SET paid_at = now() WHERE id = @id", new { id });

    public Task<int> Count(string table) =>
        _db.ExecuteScalarAsync<int>($"SELECT count(*) FROM {table}");

    public IQueryable<Invoice> Ef(AppDb db, long id) =>
        db.Invoices.FromSqlRaw("SELECT * FROM invoices WHERE id = {0}", id);

    public Task<int> SqlServer() =>
        _db.ExecuteAsync("SELECT TOP 1 * FROM [dbo].[Invoices] WITH (NOLOCK)");

    public void Warn() => _log.LogWarning("Delete from the archive failed for {Id}", 3);
}
