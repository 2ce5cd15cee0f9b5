<?php

namespace App\Billing;

final class Invoices
{
    public function forCustomer(int $customerId): array
    {
        $stmt = $this->pdo->prepare(
            'SELECT id, total, created_at FROM invoices WHERE customer_id = :customer ORDER BY created_at DESC'
        );
        $stmt->execute(['customer' => $customerId]);
        return $stmt->fetchAll();
    }

    public function markPaid(int $id): void
    {
        $this->pdo->exec("UPDATE invoices SET paid_at = now() WHERE id = {$id}");
    }

    public function dql(): array
    {
        return $this->em->createQuery('SELECT i FROM App\Entity\Invoice i WHERE i.paid = false')->getResult();
    }

    public function report(): array
    {
        $sql = <<<SQL
            SELECT customer_id, sum(total) AS total
            FROM invoices
            GROUP BY customer_id
            HAVING sum(total) > 1000
            SQL;
        return $this->pdo->query($sql)->fetchAll();
    }

    public function flash(): void
    {
        $this->session->flash('Select an invoice from the list first.');
        $this->logger->warning("update of invoice {$this->id} failed");
    }
}
